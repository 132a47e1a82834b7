export { CookieJar, type StoredCookie } from './cookie-jar.ts';
export {
  BodyTooLarge,
  ClientConnectionError,
  ClientConnectorError,
  ClientError,
  ClientResponseError,
  ContentDecodingError,
  InvalidURL,
  type ResponseInfo,
  ServerTimeoutError,
  type TimeoutKind,
  TooManyRedirects,
} from './errors.ts';
export type { HeadersInit } from './headers.ts';
export type {
  RequestOptions,
  RequestSettings,
  SessionOptions,
  TimeoutOptions,
} from './options.ts';
export type { RequestData } from './request-body.ts';
export { ClientResponse, type TextOptions } from './response.ts';
export type { RetryOptions } from './retry.ts';
export {
  type CloseOptions,
  type Handler,
  type HandlerResult,
  HttpServer,
  type ServeOptions,
  serve,
} from './serve.ts';
export { ServerRequest } from './server-request.ts';
export { ClientSession, type ClientSessionOptions, type SessionStats } from './session.ts';
export type { ParamsInit } from './url.ts';
export { WebSocketConnection, type WsConnectOptions, type WsMessage } from './websocket.ts';
