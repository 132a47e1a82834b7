/**
 * Symbols for the members the package's modules call on each other's objects, so they stay
 * off the public surface (no `_` names in the declarations). Internal.
 */

/** `ClientResponse[kToError]()`: the ClientResponseError it raises. */
export const kToError: unique symbol = Symbol('toError');
/** `ClientResponse[kReleaseAtTaskEnd]()`: release it because its task ended. */
export const kReleaseAtTaskEnd: unique symbol = Symbol('releaseAtTaskEnd');
/** `ClientResponse[kCreatedAt]`: where the request was made (debug mode). */
export const kCreatedAt: unique symbol = Symbol('createdAt');
/** `HttpServer[kTrack](task)`: a handler task to wait for on close. */
export const kTrack: unique symbol = Symbol('track');
/** `WebSocketConnection[kOpened]()`: the handshake is done. */
export const kOpened: unique symbol = Symbol('opened');
/** `WebSocketConnection[kActivity]()`: the peer showed life. */
export const kActivity: unique symbol = Symbol('activity');
