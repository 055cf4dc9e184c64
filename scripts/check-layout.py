#!/usr/bin/env python3
"""The layout rules of src/, checked from the code's own `use` lines and paths:

- no file imports one that imports it back (no cycle of imports between files);
- a page imports no other page and not app.rs;
- a mod.rs only lists modules (`mod`, `pub mod`, `pub use`);
- no file is longer than 450 lines.

An import of a folder's mod.rs counts as an import of the files whose names it re-exports.
Prints what breaks a rule and exits 1; prints one line and exits 0 when all hold."""

import re
import sys
from pathlib import Path

SRC = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "src"
MAX_LINES = 450
PATH = re.compile(r"\b(crate|super)((?:::\w+)+)(?:::\{([^}]*)\})?")


def module_dir(file: Path) -> Path:
    """The folder that holds the modules declared by `file`."""
    if file.name in ("mod.rs", "lib.rs", "main.rs"):
        return file.parent
    return file.parent / file.stem


def resolve(base: Path, segments: list[str]) -> Path | None:
    """The deepest file that a module path names, starting in folder `base`."""
    found, here = None, base
    for segment in segments:
        if (here / f"{segment}.rs").is_file():
            found, here = here / f"{segment}.rs", here / segment
        elif (here / segment / "mod.rs").is_file():
            found, here = here / segment / "mod.rs", here / segment
        else:
            break
    return found


def imports(file: Path) -> set[Path]:
    code = "\n".join(
        line.split("//")[0] for line in file.read_text().splitlines() if not line.strip().startswith("//")
    )
    targets = set()
    for anchor, path, group in PATH.findall(code):
        segments = [s for s in path.split("::") if s]
        if anchor == "crate":
            base = SRC
        else:
            base = module_dir(file).parent
            while segments and segments[0] == "super":
                base, segments = base.parent, segments[1:]
        names = [n.strip().split("::")[0] for n in group.split(",")] if group else [""]
        for name in names:
            target = resolve(base, segments + ([name] if name else []))
            if target and target != file:
                targets.add(target)
    return targets


def reexports(mod_file: Path) -> dict[str, Path]:
    """Name → file, for what a mod.rs hands on with `pub use`."""
    names = {}
    for module, group in re.findall(r"pub use (\w+)::(?:\{([^}]*)\}|\w+)", mod_file.read_text()):
        target = resolve(mod_file.parent, [module])
        if target:
            for name in (group.split(",") if group else ["*"]):
                names[name.strip()] = target
    return names


def main() -> int:
    files = sorted(SRC.rglob("*.rs"))
    problems = []
    graph = {file: imports(file) for file in files}
    # An arrow into a mod.rs goes on to the files it re-exports from.
    for file, targets in graph.items():
        for target in list(targets):
            if target.name == "mod.rs":
                targets |= set(reexports(target).values()) - {file}
    for file in files:
        lines = file.read_text().splitlines()
        relative = file.relative_to(SRC.parent)
        if len(lines) > MAX_LINES:
            problems.append(f"{relative}: {len(lines)} lines, more than {MAX_LINES}")
        if file.name == "mod.rs":
            other = [
                (number, line.strip())
                for number, line in enumerate(lines, 1)
                if line.strip()
                and not re.match(r"(//|#\[|(pub(\(crate\))? )?mod \w+;|pub use |\}|[\w:, {}]+$)", line.strip())
            ]
            if other:
                number, text = other[0]
                problems.append(f"{relative}: a mod.rs only lists modules, but {len(other)} lines do more (line {number}: {text})")
        if file.parent.name == "pages":
            for target in graph[file]:
                if target.parent.name == "pages" and target.name != "mod.rs" or target.name == "app.rs":
                    problems.append(f"{relative} imports {target.relative_to(SRC.parent)}: a page imports no page and not app.rs")
    # Cycles: depth-first search, reporting each cycle once.
    state, stack, cycles = {}, [], set()

    def visit(file: Path) -> None:
        state[file] = "open"
        stack.append(file)
        for target in graph.get(file, ()):
            if state.get(target) == "open":
                cycle = stack[stack.index(target):]
                cycles.add(" -> ".join(str(f.relative_to(SRC.parent)) for f in cycle + [target]))
            elif target not in state:
                visit(target)
        stack.pop()
        state[file] = "done"

    sys.setrecursionlimit(10_000)
    for file in files:
        if file not in state:
            visit(file)
    problems += [f"import cycle: {cycle}" for cycle in sorted(cycles)]
    if problems:
        print("\n".join(problems))
        return 1
    arrows = sum(len(t) for t in graph.values())
    print(f"layout: {len(files)} files, {arrows} imports between them, no cycle, "
          f"mod.rs files only list modules, none over {MAX_LINES} lines, no page imports a page")
    return 0


if __name__ == "__main__":
    sys.exit(main())
