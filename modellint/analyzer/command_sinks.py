"""The callables that run a command or evaluate code: what model code must not do unasked.

One list for every reader of code (pickled bytecode, code-dir sources): ``os.system`` and its
relatives, ``subprocess``, ``pty.spawn``, ``runpy``, and the ``eval``/``exec``/``compile``
builtins. It is deliberately narrow: reading files, the network and the rest are what model code
does for a living, and only a command or code built at run time is never part of serving a
model.
"""

from __future__ import annotations

COMMAND_SINKS: dict[str, frozenset[str]] = {
    "os": frozenset({"system", "popen", "startfile", "fork", "forkpty", "posix_spawn", "posix_spawnp", "execl",
                     "execle", "execlp", "execlpe", "execv", "execve", "execvp", "execvpe", "spawnl", "spawnle",
                     "spawnlp", "spawnlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe"}),
    "posix": frozenset({"system", "popen", "fork", "posix_spawn", "posix_spawnp", "execv", "execve"}),
    "nt": frozenset({"system", "startfile", "spawnv", "spawnve", "execv", "execve"}),
    "subprocess": frozenset({"run", "call", "check_call", "check_output", "Popen", "getoutput", "getstatusoutput"}),
    "pty": frozenset({"spawn"}),
    "runpy": frozenset({"run_module", "run_path"}),
    "builtins": frozenset({"eval", "exec", "compile"}),
}


def runs_command(module: str, name: str) -> bool:
    """Whether ``module.name`` runs a command or evaluates code."""
    return name in COMMAND_SINKS.get(module, ())


def command_call(function: str, resolved: bool) -> str | None:
    """How a source call of ``function`` that runs a command reads in a message (``os.system``,
    ``eval()``), or None when it runs none; ``resolved`` says ``function`` is the dotted name its
    imports give, else it is a bare name, a builtin's."""
    module, _, name = function.rpartition(".") if resolved else ("builtins", "", function)
    if not runs_command(module, name):
        return None
    return function if resolved else f"{function}()"
