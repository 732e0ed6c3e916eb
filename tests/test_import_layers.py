"""No import cycle in the toolkit, the check or the companion, and the toolkit's layers point one way only.

The imports are read from the source (ast), every one of them: at module level and inside functions (a lazy
import still ties the two modules together). docs/ARCHITECTURE.md draws the layers this test holds:
cli -> the feature libraries (agentless, reports, flows, assets_tools, companion_run, emulator) -> the check
hosted outside the Agent (check_runner, genesys, secrets) -> errors, resources, agent_host, fixed_clock -> the check.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {'genesys_cloud_dd': ROOT / 'toolkit' / 'genesys_cloud_dd', 'genesys_cloud': ROOT / 'genesys_cloud',
            'genesys_cloud_velocity': ROOT / 'companion' / 'genesys_cloud_velocity'}


def modules(package, directory):
    """Dotted module name -> path, for every .py file of the package."""
    found = {}
    for path in sorted(directory.rglob('*.py')):
        parts = [package, *path.relative_to(directory).with_suffix('').parts]
        if parts[-1] == '__init__':
            parts.pop()
        found['.'.join(parts)] = path
    return found


def imports(name, path, known):
    """The modules of `known` that module `name` imports (a name imported from a package counts as its module
    when it is one, else as the package)."""
    package = name.split('.') if path.name == '__init__.py' else name.split('.')[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            source = '.'.join(base + ([node.module] if node.module else []))
            for alias in node.names:
                target = f'{source}.{alias.name}'
                if target in known:
                    found.add(target)
                elif source in known:
                    found.add(source)
    found.discard(name)
    return found


def graph(package, directory):
    known = modules(package, directory)
    return {name: imports(name, path, known) for name, path in known.items()}


def cycles(edges):
    """Every group of modules that import each other, directly or through others (strongly connected
    components of more than one module, Tarjan's algorithm, iterative)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_the_cycle_finder_finds_cycles(tmp_path):
    package = tmp_path / 'pkg'
    (package / 'sub').mkdir(parents=True)
    (package / '__init__.py').write_text('')
    (package / 'a.py').write_text('from . import b\n')
    (package / 'b.py').write_text('def f():\n    from .sub.c import g\n')  # a lazy import counts
    (package / 'sub' / '__init__.py').write_text('')
    (package / 'sub' / 'c.py').write_text('from ..a import x\n')
    (package / 'd.py').write_text('import pkg.a\n')
    edges = graph('pkg', package)
    assert edges['pkg.d'] == {'pkg.a'}
    assert cycles(edges) == [['pkg.a', 'pkg.b', 'pkg.sub.c']]


@pytest.mark.parametrize('package', sorted(PACKAGES))
def test_no_import_cycle(package):
    edges = graph(package, PACKAGES[package])
    assert len(edges) > 3
    assert cycles(edges) == []


def test_the_cli_is_the_top_layer():
    # Nothing below the command line imports it: the Agent-less library, the reports, the asset tools and the
    # check host are libraries a command (or a test) calls.
    edges = graph('genesys_cloud_dd', PACKAGES['genesys_cloud_dd'])
    cli = {name for name in edges if name.startswith('genesys_cloud_dd.cli')}
    assert cli
    upward = {name: sorted(targets & cli) for name, targets in edges.items() if name not in cli and targets & cli}
    assert upward == {}


def test_the_library_layers_point_down():
    edges = graph('genesys_cloud_dd', PACKAGES['genesys_cloud_dd'])
    host = {'genesys_cloud_dd.check_runner', 'genesys_cloud_dd.genesys', 'genesys_cloud_dd.secrets'}
    base = {'genesys_cloud_dd.errors', 'genesys_cloud_dd.resources', 'genesys_cloud_dd.agent_host',
            'genesys_cloud_dd.__about__', 'genesys_cloud_dd.numbers', 'genesys_cloud_dd.fixed_clock'}
    assert host | base <= set(edges)
    upward = {name: sorted(targets - host - base) for name, targets in edges.items()
              if name in host | base and targets - host - base}
    assert upward == {}  # the check host imports only its own layer and the base
    assert {name: sorted(edges[name] & host) for name in base if edges[name] & host} == {}
