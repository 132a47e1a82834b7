"""CPython asyncio's side of bench/streams.bench.ts: an echo server and a client in one
event loop, doing the work the bench asks for on stdin and answering with the seconds it
took. Commands (one per line): `lines N` (N round trips of a 64-byte line: write, drain,
readline), `bulk N` (N chunks of 64 KiB written with drain while the echo is read back),
`quit`. Each answer is the wall and CPU seconds the work took.
"""
import asyncio
import sys
import time

LINE = b"x" * 63 + b"\n"
CHUNK = b"y" * 65536


async def handle(reader, writer):
    while True:
        data = await reader.read(65536)
        if not data:
            break
        writer.write(data)
        await writer.drain()
    writer.close()


async def lines(reader, writer, n):
    for _ in range(n):
        writer.write(LINE)
        await writer.drain()
        await reader.readline()


async def bulk(reader, writer, n):
    total = n * len(CHUNK)

    async def send():
        for _ in range(n):
            writer.write(CHUNK)
            await writer.drain()

    sender = asyncio.create_task(send())
    got = 0
    while got < total:
        got += len(await reader.read(65536))
    await sender


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    print("ready", flush=True)
    while True:
        cmd = (await stdin.readline()).decode().split()
        if not cmd or cmd[0] == "quit":
            break
        n = int(cmd[1])
        start = time.perf_counter()
        cpu = time.process_time()
        await (lines if cmd[0] == "lines" else bulk)(reader, writer, n)
        print(f"{time.perf_counter() - start:.9f} {time.process_time() - cpu:.9f}", flush=True)
    writer.close()
    server.close()


asyncio.run(main())
