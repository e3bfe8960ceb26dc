"""``users``: dashboard users, their roles and passwords, in the app-state store.

The password policy lives in ``appstate.passwords``; its reason is printed as the error.
"""

from __future__ import annotations

import getpass
import sys
from dataclasses import dataclass
from pathlib import Path

from common.errors import ShopSightError
from dashboard.commands.output import EXIT_OK, UsageError


@dataclass(frozen=True)
class UsersOptions:
    action: str  # add, list, role or password
    state: Path
    name: str | None = None
    role: str = "viewer"
    password_stdin: bool = False


def state_path(db: Path, state: Path | None) -> Path:
    """The store given by ``--state``, else the one next to ``--db``."""
    from appstate.store import default_state_path

    return state if state is not None else default_state_path(db)


def _read_password(name: str, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass(f"password for {name}: ")
    if password != getpass.getpass("again: "):
        raise ShopSightError("the passwords differ")
    return password


def run_users(options: UsersOptions) -> int:
    """List users, add one, change a role or set a password."""
    from appstate.store import AppState

    store = AppState(options.state)
    if options.action == "list":
        for user in store.list_users():
            print(f"{user.name:<24} {user.role}")
        return EXIT_OK
    if not options.name:
        raise UsageError("give the user's NAME")
    if options.action == "role":
        user = store.set_role(options.name, options.role)
        print(f"{user.name} is now {user.role}")
        return EXIT_OK
    password = _read_password(options.name, options.password_stdin)
    if options.action == "add":
        user = store.add_user(options.name, password, options.role)
        print(f"added {user.name} ({user.role}) to {store.path}")
    else:
        store.set_password(options.name, password)
        print(f"new password set for {options.name}; their sessions are ended")
    return EXIT_OK
