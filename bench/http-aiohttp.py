"""The seeds' own client on the work of http.bench.ts: aiohttp's ClientSession (its default
connector, 100 connections), 50 concurrent callers. Reads commands on stdin, one per line:
`<url> <requests> <mode>` (mode `json` or `bytes`); runs them and answers `done` on stdout.
One session for the whole run, as an aiohttp application keeps one."""
import asyncio
import sys

import aiohttp

CALLERS = 50


async def work(session, url, total, mode):
    left = total

    async def caller():
        nonlocal left
        while left > 0:
            left -= 1
            async with session.get(url) as res:
                if mode == "json":
                    await res.json()
                else:
                    await res.read()

    await asyncio.gather(*(caller() for _ in range(CALLERS)))


async def main():
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    async with aiohttp.ClientSession() as session:
        while True:
            line = await reader.readline()
            if not line:
                return
            url, total, mode = line.decode().split()
            await work(session, url, int(total), mode)
            sys.stdout.write("done\n")
            sys.stdout.flush()


asyncio.run(main())
