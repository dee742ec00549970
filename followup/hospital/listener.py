"""The MLLP listener: HL7 v2 messages from the hospital's interface engine, one ACK per message.

Each connection is its own asyncio task, so a slow or broken client only ever waits on itself:
reading, framing and writing happen on the event loop, and the database work of each message runs
in a small thread pool (`intake.receive`, the same function the tests call). python-hl7's MLLP
streams carry the bytes (`start_hl7_server`, `HL7StreamWriter.writeblock`); the reader is bounded by
HL7_MLLP_MAX_BYTES, so 10 MB of garbage costs at most that much memory before the connection closes.

A connection is closed, without an answer, when:
- it sends anything but a start-of-block (0x0B) between frames;
- a frame it began does not end (0x1C 0x0D) within HL7_MLLP_FRAME_TIMEOUT seconds, or grows past
  HL7_MLLP_MAX_BYTES;
- it sends nothing for HL7_MLLP_IDLE_TIMEOUT seconds, or does not read its ACK within the frame timeout;
- handling a message failed inside Followup (the database is down, say): the engine sends it again
  on a new connection, and nothing is lost.
Logs carry the peer address and message row ids, never message content.
"""

import asyncio
import contextlib
import logging
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections, connections
from hl7.mllp import start_hl7_server
from hl7.mllp.streams import CARRIAGE_RETURN, END_BLOCK, START_BLOCK

from . import intake

logger = logging.getLogger(__name__)

DATABASE_THREADS = 4
SHUTDOWN_GRACE_SECONDS = 10


class Listener:
    def __init__(self, host=None, port=None, *, receive=intake.receive, max_bytes=None, frame_timeout=None,
                 idle_timeout=None, max_connections=None):
        self.host = settings.HL7_MLLP_HOST if host is None else host
        self.port = settings.HL7_MLLP_PORT if port is None else port
        self.receive = receive
        self.max_bytes = max_bytes or settings.HL7_MLLP_MAX_BYTES
        self.frame_timeout = frame_timeout or settings.HL7_MLLP_FRAME_TIMEOUT
        self.idle_timeout = idle_timeout or settings.HL7_MLLP_IDLE_TIMEOUT
        self.max_connections = max_connections or settings.HL7_MLLP_MAX_CONNECTIONS
        self.executor = ThreadPoolExecutor(DATABASE_THREADS, thread_name_prefix="hl7-db")
        self.server = None
        self.connections = set()

    async def start(self):
        # The reader's limit bounds one frame (and the buffer: asyncio pauses reading at twice it).
        self.server = await start_hl7_server(self._connected, self.host, self.port, limit=self.max_bytes)
        self.port = self.server.sockets[0].getsockname()[1]  # the real one when 0 asked for any free port
        logger.info("hl7 listener on %s:%s", self.host, self.port)
        return self

    async def stop(self):
        """Stop accepting; let connections finish the message in hand, then close them."""
        if self.server is not None:
            self.server.close()
        if self.connections:
            _, pending = await asyncio.wait(self.connections, timeout=SHUTDOWN_GRACE_SECONDS)
            for task in pending:
                task.cancel()
        # Each database thread closes its own connection (a barrier puts one job on every thread).
        barrier = threading.Barrier(DATABASE_THREADS)
        closing = [self.executor.submit(_close_connections, barrier) for _ in range(DATABASE_THREADS)]
        await asyncio.wait([asyncio.wrap_future(job) for job in closing], timeout=SHUTDOWN_GRACE_SECONDS)
        self.executor.shutdown(wait=True, cancel_futures=True)

    async def serve_until_signalled(self):
        await self.start()
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping.set)
        await stopping.wait()
        logger.info("hl7 listener stopping")
        await self.stop()

    def _connected(self, reader, writer):
        if len(self.connections) >= self.max_connections:
            logger.warning("hl7 connection from %s refused: %s connections open", _peer(writer), len(self.connections))
            writer.close()
            return None
        return self._track(self._conversation(reader, writer))

    def _track(self, coroutine):
        task = asyncio.ensure_future(coroutine)
        self.connections.add(task)
        task.add_done_callback(self.connections.discard)
        return None

    async def _conversation(self, reader, writer):
        peer = _peer(writer)
        try:
            while (frame := await self._next_frame(reader, peer)) is not None:
                ack = await asyncio.get_running_loop().run_in_executor(self.executor, self._receive, frame, peer)
                if ack is None:
                    return
                writer.writeblock(ack.encode("utf-8"))
                await asyncio.wait_for(writer.drain(), self.frame_timeout)
        except (ConnectionError, TimeoutError):
            logger.info("hl7 connection from %s lost or not reading its acknowledgement", peer)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, TimeoutError):
                await asyncio.wait_for(writer.wait_closed(), 1)

    async def _next_frame(self, reader, peer):
        """The next complete frame's content, or None when the connection should close."""
        try:
            first = await asyncio.wait_for(reader.readexactly(1), self.idle_timeout)
        except asyncio.IncompleteReadError:
            return None  # the client closed between frames: the normal end
        except TimeoutError:
            logger.info("hl7 connection from %s idle for %s s: closed", peer, self.idle_timeout)
            return None
        if first != START_BLOCK:
            logger.warning("hl7 connection from %s sent data outside an MLLP frame: closed", peer)
            return None
        try:
            block = await asyncio.wait_for(reader.readuntil(END_BLOCK + CARRIAGE_RETURN), self.frame_timeout)
        except asyncio.LimitOverrunError:
            logger.warning("hl7 connection from %s sent a frame over %s bytes: closed", peer, self.max_bytes)
            return None
        except asyncio.IncompleteReadError:
            logger.warning("hl7 connection from %s closed in the middle of a frame", peer)
            return None
        except TimeoutError:
            logger.warning("hl7 connection from %s did not finish its frame within %s s: closed", peer, self.frame_timeout)
            return None
        # A frame begun again inside this one: the earlier, unfinished one is dropped (its sender resends it).
        return block[:-2].rsplit(START_BLOCK, 1)[-1]

    def _receive(self, frame, peer):
        close_old_connections()
        try:
            return self.receive(frame, peer=peer)
        except Exception:
            logger.exception("hl7 message from %s could not be handled: connection closed without an answer", peer)
            return None
        finally:
            close_old_connections()


def _close_connections(barrier):
    connections.close_all()
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait(SHUTDOWN_GRACE_SECONDS)


def _peer(writer):
    address = writer.get_extra_info("peername")
    return str(address[0]) if isinstance(address, tuple) and address else ""
