"""A local stand-in for Discord: the REST routes and the gateway websocket the bot uses.

The bot runs unmodified, with discord.py's own HTTP and gateway code; only its base URLs point
here (`discord.http.Route.BASE`, `discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`). The server
runs on its own event loop in a thread, so it keeps time (heartbeats, deferral deadlines)
independently of the bot's loop, and records every request for the tests to assert on.

Behaviour follows Discord's documented API closely enough for discord.py 2.7: HELLO / IDENTIFY /
READY / GUILD_CREATE and heartbeats on the gateway; dispatches filtered by the identified intents
(message content is blanked without the MESSAGE_CONTENT intent unless the bot is mentioned or it is
a DM); JSON responses with the exact Content-Type discord.py expects; 401 for a wrong token and
close code 4014 for a privileged intent that is not allowed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

API_PREFIX = "/api/v10"
GUILDS = 1 << 0
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15
EPHEMERAL = 1 << 6
LOADING = 1 << 7
DISCORD_EPOCH_MS = 1420070400000
# How long a test waits for the bot before failing: generous, since a passing test never waits it out
# and a loaded 2-core machine can be slow.
WAIT_SECONDS = 60.0


@dataclass
class Recorded:
    """One REST request the bot made."""

    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    body: Any
    at: float  # time.monotonic() when it arrived
    status: int = 200
    handled: bool = False  # the stand-in has answered it (and stored whatever message it made)

    @property
    def message_payload(self) -> dict[str, Any] | None:
        """The message a request creates or edits, whatever the route (None if it carries none)."""
        if not isinstance(self.body, dict):
            return None
        if self.path.endswith("/callback"):
            data = self.body.get("data")
            return data if isinstance(data, dict) and ("content" in data or "embeds" in data) else None
        if "content" in self.body or "embeds" in self.body:
            return self.body
        return None


@dataclass
class _Interaction:
    id: int
    token: str
    channel_id: int
    guild_id: int | None
    original_message_id: int | None = None  # the clicked message for components
    ephemeral: bool = False


@dataclass
class FakeDiscord:
    token: str = "fake-bot-token.0123456789"
    heartbeat_interval: float = 41.25  # seconds, as Discord sends it (in ms) in HELLO
    allow_message_content: bool = True
    thread_creation_fails: bool = False
    reject_callbacks: int = 0  # answer the next N interaction callbacks with HTTP 400

    app_id: int = 900_000_000_000_000_001
    guild_id: int = 800_000_000_000_000_001
    channel_id: int = 800_000_000_000_000_010
    user_id: int = 700_000_000_000_000_001  # a human, the default asker
    bot_name: str = "talentqa"
    # Set before the bot connects: the guild's roles (beyond @everyone) arrive with GUILD_CREATE.
    roles: dict[int, str] = field(default_factory=dict)  # role id -> name
    member_roles: dict[int, list[int]] = field(default_factory=dict)  # user id -> role ids
    user_names: dict[int, str] = field(default_factory=dict)  # user id -> username (default "asker")

    requests: list[Recorded] = field(default_factory=list)
    unknown_routes: list[Recorded] = field(default_factory=list)
    heartbeats: list[float] = field(default_factory=list)
    identifies: list[dict[str, Any]] = field(default_factory=list)
    dispatched_at: dict[int, float] = field(default_factory=dict)  # interaction id -> time sent
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    close_codes: list[int | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._seq = itertools.count(1)
        self._interactions: dict[str, _Interaction] = {}
        self._by_id: dict[int, _Interaction] = {}
        self._threads: dict[int, dict[str, Any]] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self._intents = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._closing = False
        # Tests waiting in `wait_for`, each on its own event loop, woken whenever a request is handled.
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self.port = 0

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeDiscord:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="fake-discord", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), loop).result(10)
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        assert self._thread is not None
        self._thread.join(10)
        self._loop.close()
        self._loop = None

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_get("/", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._site = site
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def _shutdown(self) -> None:
        # Stop listening before closing sockets: discord.py resumes the moment its socket closes, and a resume
        # accepted by a server about to stop would wait for a HELLO that never comes (60 s, then a timeout)
        # instead of being refused at once, as by a Discord that is really gone.
        self._closing = True
        if self._site is not None:
            await self._site.stop()
        for _ in range(50):  # a socket accepted just before the listener closed joins the list a turn later
            for ws in list(self._sockets):
                await ws.close()
            await asyncio.sleep(0.01)
            if not self._sockets:
                break
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    # --- objects --------------------------------------------------------------------------------

    def snowflake(self) -> int:
        return ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(self._ids) & 0x3FFFFF)

    def bot_user(self) -> dict[str, Any]:
        return {
            "id": str(self.app_id),
            "username": self.bot_name,
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
            "bot": True,
            "verified": True,
            "flags": 0,
            "mfa_enabled": False,
        }

    def user(self, user_id: int | None = None, name: str | None = None) -> dict[str, Any]:
        name = name or self.user_names.get(user_id or self.user_id, "asker")
        return {
            "id": str(user_id or self.user_id),
            "username": name,
            "discriminator": "0",
            "global_name": name,
            "avatar": None,
        }

    def member(self, user_id: int | None = None) -> dict[str, Any]:
        return {
            "user": self.user(user_id),
            "roles": [str(r) for r in self.member_roles.get(user_id or self.user_id, [])],
            "joined_at": "2024-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "permissions": "2248473465835073",
        }

    def text_channel(self) -> dict[str, Any]:
        return {
            "id": str(self.channel_id),
            "type": 0,
            "guild_id": str(self.guild_id),
            "name": "general",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
        }

    def guild(self) -> dict[str, Any]:
        return {
            "id": str(self.guild_id),
            "name": "Newsroom",
            "icon": None,
            "owner_id": str(self.user_id),
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [
                {
                    "id": str(self.guild_id),
                    "name": "@everyone",
                    "color": 0,
                    "hoist": False,
                    "position": 0,
                    "permissions": "2248473465835073",
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                },
                *(
                    self._role(role_id, name, position)
                    for position, (role_id, name) in enumerate(self.roles.items(), start=1)
                ),
            ],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_flags": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "unavailable": False,
            "member_count": 2,
            "large": False,
            "joined_at": "2024-01-01T00:00:00+00:00",
            "members": [],
            "channels": [self.text_channel()],
            # Discord lists the guild's active threads here, so a restarted bot knows its own.
            "threads": list(self._threads.values()),
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def _role(self, role_id: int, name: str, position: int) -> dict[str, Any]:
        return {
            "id": str(role_id),
            "name": name,
            "color": 0,
            "hoist": False,
            "position": position,
            "permissions": "0",
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }

    def _message(
        self,
        *,
        channel_id: int,
        author: dict[str, Any],
        body: dict[str, Any],
        guild_id: int | None,
        flags: int = 0,
        message_id: int | None = None,
    ) -> dict[str, Any]:
        msg: dict[str, Any] = {
            "id": str(message_id or self.snowflake()),
            "channel_id": str(channel_id),
            "author": author,
            "content": body.get("content") or "",
            "timestamp": dt.datetime.now(dt.UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": flags | int(body.get("flags") or 0),
        }
        if guild_id is not None:
            msg["guild_id"] = str(guild_id)
        if body.get("message_reference"):
            msg["type"] = 19
            msg["message_reference"] = body["message_reference"]
        with self._lock:
            self.messages[int(msg["id"])] = msg
        return msg

    # --- REST -----------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        raw = await request.read()
        body: Any = json.loads(raw) if raw and request.content_type == "application/json" else None
        rec = Recorded(request.method, path, dict(request.query), body, time.monotonic())
        with self._lock:
            self.requests.append(rec)
        authed = request.headers.get("Authorization") == f"Bot {self.token}"
        try:
            response = await self._route(request.method, path.split("/")[1:], rec, authed)
        except Exception:
            rec.status = 500
            raise
        else:
            rec.status = response.status
            return response
        finally:
            rec.handled = True
            self._wake_waiters()

    def _wake_waiters(self) -> None:
        with self._lock:
            waiters = list(self._waiters)
        for loop, event in waiters:
            loop.call_soon_threadsafe(event.set)

    async def _route(self, method: str, parts: list[str], rec: Recorded, authed: bool) -> web.Response:
        body = rec.body if isinstance(rec.body, dict) else {}
        # Interaction callbacks and webhooks authenticate by their token, not the bot's.
        if parts[0] == "interactions" and method == "POST" and parts[-1] == "callback":
            return await self._callback(parts[2], body)
        if parts[0] == "webhooks":
            return self._webhook(method, parts, body)
        if not authed:
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        match method, parts:
            case "GET", ["users", "@me"]:
                return _json(self.bot_user())
            case "GET", ["oauth2", "applications", "@me"]:
                return _json(self._application())
            case "GET", ["gateway"] | ["gateway", "bot"]:
                return _json(
                    {
                        "url": self.gateway_url.rstrip("/"),
                        "shards": 1,
                        "session_start_limit": {
                            "total": 1000,
                            "remaining": 999,
                            "reset_after": 0,
                            "max_concurrency": 1,
                        },
                    }
                )
            case "PUT", ["applications", _, "commands"]:
                return _json(self._echo_commands(rec.body, None))
            case "PUT", ["applications", _, "guilds", guild, "commands"]:
                return _json(self._echo_commands(rec.body, int(guild)))
            case "POST", ["channels", channel, "typing"]:
                return web.Response(status=204)
            case "POST", ["channels", channel, "messages"]:
                return _json(self._channel_message(int(channel), body))
            case "GET", ["channels", channel, "messages"]:
                return _json(self._history(int(channel), rec.query))
            case "GET", ["channels", channel, "messages", mid]:
                found = self.messages.get(int(mid))
                if found is None or found["channel_id"] != channel:
                    return _json({"message": "Unknown Message", "code": 10008}, 404)
                return _json(found)
            case "POST", ["channels", channel, "messages", mid, "threads"]:
                if self.thread_creation_fails:
                    return _json({"message": "Missing Permissions", "code": 50013}, 403)
                return _json(await self._create_thread(int(channel), int(mid), body))
            case "GET", ["channels", channel]:
                if int(channel) in self._threads:
                    return _json(self._threads[int(channel)])
                return _json(self.text_channel())
        with self._lock:
            self.unknown_routes.append(rec)
        return _json({"message": "404: Not Found", "code": 0}, 404)

    def _application(self) -> dict[str, Any]:
        return {
            "id": str(self.app_id),
            "name": self.bot_name,
            "icon": None,
            "description": "",
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self.user(),
            "verify_key": "0" * 64,
            "flags": 0,
            "team": None,
            "summary": "",
            "interactions_endpoint_url": None,
        }

    def _echo_commands(self, commands: Any, guild_id: int | None) -> list[dict[str, Any]]:
        echoed = []
        for command in commands or []:
            item = dict(command)
            item.update(id=str(self.snowflake()), application_id=str(self.app_id), version="1")
            if guild_id is not None:
                item["guild_id"] = str(guild_id)
            echoed.append(item)
        return echoed

    def _channel_message(self, channel_id: int, body: dict[str, Any]) -> dict[str, Any]:
        guild_id = None if channel_id == self.dm_channel_id else self.guild_id
        return self._message(channel_id=channel_id, author=self.bot_user(), body=body, guild_id=guild_id)

    def _history(self, channel_id: int, query: dict[str, str]) -> list[dict[str, Any]]:
        limit = int(query.get("limit", "50"))
        before = int(query["before"]) if "before" in query else None
        with self._lock:
            found = [
                m
                for m in self.messages.values()
                if m["channel_id"] == str(channel_id)
                and not (int(m["flags"]) & EPHEMERAL)
                and (before is None or int(m["id"]) < before)
            ]
        found.sort(key=lambda m: int(m["id"]), reverse=True)
        return found[:limit]

    async def _create_thread(self, channel_id: int, message_id: int, body: dict[str, Any]) -> dict[str, Any]:
        thread = {
            "id": str(message_id),  # Discord gives a thread opened from a message that message's id
            "guild_id": str(self.guild_id),
            "parent_id": str(channel_id),
            "owner_id": str(self.app_id),
            "name": body.get("name", "thread"),
            "type": 11,
            "last_message_id": None,
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": body.get("auto_archive_duration", 1440),
                "archive_timestamp": dt.datetime.now(dt.UTC).isoformat(),
                "locked": False,
            },
        }
        self._threads[message_id] = thread
        await self._dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return thread

    async def _callback(self, token: str, body: dict[str, Any]) -> web.Response:
        info = self._interactions.get(token)
        if info is None:
            return _json({"message": "Unknown interaction", "code": 10062}, 404)
        if self.reject_callbacks > 0:
            self.reject_callbacks -= 1
            return _json({"message": "Invalid Form Body", "code": 50035}, 400)
        kind = int(body.get("type", 0))
        data = body.get("data") or {}
        ephemeral = bool(int(data.get("flags") or 0) & EPHEMERAL)
        result: dict[str, Any] = {
            "interaction": {
                "id": str(info.id),
                "type": 2,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": ephemeral,
            }
        }
        message: dict[str, Any] | None = None
        if kind in (4, 5):
            info.ephemeral = ephemeral
            message = self._message(
                channel_id=info.channel_id,
                author=self.bot_user(),
                body=data if kind == 4 else {},
                guild_id=info.guild_id,
                flags=(EPHEMERAL if ephemeral else 0) | (LOADING if kind == 5 else 0),
            )
            info.original_message_id = int(message["id"])
        elif kind == 7 and info.original_message_id is not None:
            message = self._edit(info.original_message_id, data)
        if message is not None:
            result["interaction"]["response_message_id"] = message["id"]
            result["resource"] = {"type": kind, "message": message}
        return _json(result)

    def _edit(self, message_id: int, data: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            message = self.messages[message_id]
            for key in ("content", "embeds", "components"):
                if key in data:
                    message[key] = data[key]
            message["edited_timestamp"] = dt.datetime.now(dt.UTC).isoformat()
            return dict(message)

    def _webhook(self, method: str, parts: list[str], body: dict[str, Any]) -> web.Response:
        token = parts[2] if len(parts) > 2 else ""
        info = self._interactions.get(token)
        if info is None:
            return _json({"message": "Unknown Webhook", "code": 10015}, 404)
        if method == "POST" and len(parts) == 3:
            original = self.messages.get(info.original_message_id or 0)
            if original is not None and int(original["flags"]) & LOADING:
                # As on Discord, the first follow-up after a deferral becomes the deferred message.
                with self._lock:
                    original["flags"] = int(original["flags"]) & ~LOADING
                return _json(self._edit(int(original["id"]), body))
            flags = EPHEMERAL if (int(body.get("flags") or 0) & EPHEMERAL or info.ephemeral) else 0
            message = self._message(
                channel_id=info.channel_id,
                author=self.bot_user(),
                body=body,
                guild_id=info.guild_id,
                flags=flags,
            )
            message["webhook_id"] = str(self.app_id)
            return _json(message)
        if len(parts) == 5 and parts[3] == "messages":
            target = info.original_message_id if parts[4] == "@original" else int(parts[4])
            if target is None or target not in self.messages:
                return _json({"message": "Unknown Message", "code": 10008}, 404)
            if method == "PATCH":
                return _json(self._edit(target, body))
            if method == "GET":
                return _json(self.messages[target])
            if method == "DELETE":
                return web.Response(status=204)
        return _json({"message": "404: Not Found", "code": 0}, 404)

    # --- gateway --------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        if self._closing:
            await ws.close()
            return ws
        self._sockets.append(ws)
        await ws.send_json(
            {"op": 10, "d": {"heartbeat_interval": int(self.heartbeat_interval * 1000)}, "s": None, "t": None}
        )
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                op = payload.get("op")
                if op == 1:
                    with self._lock:
                        self.heartbeats.append(time.monotonic())
                    await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
                elif op == 2:
                    await self._identify(ws, payload["d"])
        finally:
            self._sockets.remove(ws)
            with self._lock:
                self.close_codes.append(ws.close_code)
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        with self._lock:
            self.identifies.append(data)
        if data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        self._intents = int(data.get("intents", 0))
        if self._intents & MESSAGE_CONTENT and not self.allow_message_content:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        ready = {
            "v": 10,
            "user": self.bot_user(),
            "guilds": [{"id": str(self.guild_id), "unavailable": True}],
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.app_id), "flags": 0},
            "shard": [0, 1],
            "private_channels": [],
            "relationships": [],
        }
        await self._send(ws, "READY", ready)
        if self._intents & GUILDS:
            await self._send(ws, "GUILD_CREATE", self.guild())

    async def _send(self, ws: web.WebSocketResponse, event: str, data: dict[str, Any]) -> None:
        await ws.send_json({"op": 0, "t": event, "s": next(self._seq), "d": data})

    async def _dispatch(self, event: str, data: dict[str, Any]) -> None:
        for ws in list(self._sockets):
            if not ws.closed:
                await self._send(ws, event, data)

    def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway event to the connected bot (callable from any thread but the server's)."""
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(self._dispatch(event, data), self._loop).result(5)

    # --- what a user does -----------------------------------------------------------------------

    @property
    def dm_channel_id(self) -> int:
        return 800_000_000_000_000_099

    def _interaction(
        self,
        kind: int,
        data: dict[str, Any],
        *,
        user_id: int | None,
        channel_id: int | None,
        message: dict[str, Any] | None = None,
        dm: bool = False,
    ) -> int:
        iid = self.snowflake()
        token = f"itoken-{iid}"
        channel = channel_id or (self.dm_channel_id if dm else self.channel_id)
        info = _Interaction(iid, token, channel, None if dm else self.guild_id)
        if message is not None:
            info.original_message_id = int(message["id"])
            info.ephemeral = bool(int(message.get("flags") or 0) & EPHEMERAL)
        self._interactions[token] = info
        self._by_id[iid] = info
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.app_id),
            "type": kind,
            "token": token,
            "version": 1,
            "data": data,
            "channel_id": str(channel),
            "app_permissions": "2248473465835073",
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 8_388_608,
        }
        if dm:
            payload["user"] = self.user(user_id)
            payload["channel"] = {"id": str(channel), "type": 1, "recipients": [self.user(user_id)]}
            payload["context"] = 1
            payload["authorizing_integration_owners"] = {"1": str(user_id or self.user_id)}
        else:
            payload["guild_id"] = str(self.guild_id)
            payload["guild"] = {"id": str(self.guild_id), "locale": "en-US", "features": []}
            payload["guild_locale"] = "en-US"
            channel_obj = self._threads.get(channel) or self.text_channel()
            payload["channel"] = channel_obj
            payload["member"] = self.member(user_id)
            payload["context"] = 0
            payload["authorizing_integration_owners"] = {"0": str(self.guild_id)}
        if message is not None:
            payload["message"] = message
        with self._lock:
            self.dispatched_at[iid] = time.monotonic()
        self.dispatch("INTERACTION_CREATE", payload)
        return iid

    def slash(
        self,
        name: str,
        *,
        user_id: int | None = None,
        channel_id: int | None = None,
        dm: bool = False,
        **options: Any,
    ) -> int:
        """A user runs /name with these options; returns the interaction id."""
        kinds = {str: 3, bool: 5, int: 4}
        data = {
            "id": "1000",
            "name": name,
            "type": 1,
            "options": [{"name": k, "type": kinds[type(v)], "value": v} for k, v in options.items()],
        }
        return self._interaction(2, data, user_id=user_id, channel_id=channel_id, dm=dm)

    def click(
        self,
        message: dict[str, Any],
        custom_id: str,
        *,
        user_id: int | None = None,
        values: list[str] | None = None,
    ) -> int:
        """A user clicks the component `custom_id` under `message` (as the bot sent it)."""
        component_type = 3 if values is not None else 2
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = values
        return self._interaction(
            3, data, user_id=user_id, channel_id=int(message["channel_id"]), message=message
        )

    def say(
        self,
        content: str,
        *,
        user_id: int | None = None,
        channel_id: int | None = None,
        mention_bot: bool = False,
        dm: bool = False,
    ) -> dict[str, Any]:
        """A user posts a message; dispatched as MESSAGE_CREATE when the bot's intents ask for it."""
        channel = channel_id or (self.dm_channel_id if dm else self.channel_id)
        author = self.user(user_id)
        message = self._message(
            channel_id=channel,
            author=author,
            body={"content": content},
            guild_id=None if dm else self.guild_id,
        )
        if mention_bot:
            message["mentions"] = [self.bot_user()]
        if not dm:
            message["member"] = {k: v for k, v in self.member(user_id).items() if k != "user"}
        needed = DIRECT_MESSAGES if dm else GUILD_MESSAGES
        if self._intents & needed:
            event = dict(message)
            if not (self._intents & MESSAGE_CONTENT or dm or mention_bot):
                event["content"] = ""
            self.dispatch("MESSAGE_CREATE", event)
        return message

    # --- for assertions -------------------------------------------------------------------------

    def snapshot(self) -> list[Recorded]:
        with self._lock:
            return list(self.requests)

    def find(self, predicate: Callable[[Recorded], bool]) -> list[Recorded]:
        return [r for r in self.snapshot() if predicate(r)]

    async def wait_for(
        self, predicate: Callable[[Recorded], bool], *, count: int = 1, timeout: float = WAIT_SECONDS
    ) -> list[Recorded]:
        """Wait (on the caller's loop) until `count` requests matching `predicate` have been handled.

        Woken by each handled request rather than polling, and only handled ones count: a request is
        recorded as it arrives, before the message it creates exists. `timeout` only bounds a failing
        test; a passing one returns as soon as the requests are in.
        """
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.add(waiter)
        try:
            async with asyncio.timeout(timeout):
                while True:
                    waiter[1].clear()
                    found = self.find(lambda r: r.handled and predicate(r))
                    if len(found) >= count:
                        return found
                    await waiter[1].wait()
        except TimeoutError:
            paths = [f"{r.method} {r.path}" for r in self.snapshot()]
            found = self.find(predicate)
            raise AssertionError(
                f"timed out after {timeout} s waiting for {count} request(s); got {len(found)}; saw {paths}"
            ) from None
        finally:
            with self._lock:
                self._waiters.discard(waiter)

    def original_message(self, interaction_id: int) -> dict[str, Any]:
        """The message an interaction's response created (or, for a click, the message clicked)."""
        message_id = self._by_id[interaction_id].original_message_id
        assert message_id is not None, "the interaction has no response message yet"
        return self.message(message_id)

    def message(self, message_id: int | str) -> dict[str, Any]:
        with self._lock:
            return dict(self.messages[int(message_id)])


def _json(data: Any, status: int = 200) -> web.Response:
    # discord.py decodes a body as JSON only when the Content-Type is exactly application/json.
    return web.Response(body=json.dumps(data).encode(), status=status, content_type="application/json")


def for_interaction(interaction_id: int) -> Callable[[Recorded], bool]:
    """Requests answering one interaction: its callback and its follow-ups (which carry its token)."""
    token = f"itoken-{interaction_id}"
    return lambda r: token in r.path


def is_callback(r: Recorded) -> bool:
    return r.method == "POST" and r.path.endswith("/callback")


def is_followup(r: Recorded) -> bool:
    return r.method == "POST" and r.path.startswith("/webhooks/") and r.path.count("/") == 3
