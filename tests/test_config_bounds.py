"""conf.yaml loading is bounded (toolkit/genesys_cloud_dd/config_file.py): every toolkit command that reads
one refuses a billion-laughs document, a 50 MB file, a recursive alias and absurd nesting with exit status 2
and an error naming the limit, instead of spinning on the CPU (fault matrix: command x file)."""

import pytest
import yaml

from genesys_cloud_dd import config_file
from genesys_cloud_dd.cli.main import main

from .fault_report import record


def billion_laughs():
    lines = ['lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        refs = ', '.join([f'*lol{level - 1}'] * 9)
        lines.append(f'lol{level}: &lol{level} [{refs}]')
    lines += ['instances:', '  - client_id: a', '    client_secret: b', '    tags: *lol9']
    return '\n'.join(lines) + '\n'


def fifty_megabytes(path):
    row = '  - {client_id: a, client_secret: b, tags: [team:cx, env:prod, x:' + 'y' * 40 + ']}\n'
    with open(path, 'w', encoding='utf-8') as f:
        f.write('instances:\n')
        for _ in range(50 * 1024 * 1024 // len(row) + 1):
            f.write(row)


FILES = {
    'billion laughs': (lambda path: path.write_text(billion_laughs()), 'values once aliases are expanded'),
    '50 MB file': (fifty_megabytes, 'larger than 1 MB'),
    'recursive alias': (lambda path: path.write_text('instances: &i\n  - client_id: a\n    tags: *i\n'),
                        'used inside its own anchor'),
    '10,000 levels deep': (lambda path: path.write_text('instances: ' + '[' * 10000 + ']' * 10000 + '\n'),
                           'nested more than 64 levels'),
}

COMMANDS = {
    'check': ['check', '-c', 'CONF'],
    'agentless': ['agentless', '--once', '-c', 'CONF'],
    'report limits': ['report', 'limits', '-c', 'CONF', '-o', 'OUT'],
    'report licenses': ['report', 'licenses', '-c', 'CONF', '-o', 'OUT'],
}


@pytest.fixture(scope='module')
def hostile_files(tmp_path_factory):
    root = tmp_path_factory.mktemp('hostile-conf')
    paths = {}
    for name, (write, _) in FILES.items():
        paths[name] = root / f'{name.replace(" ", "_").replace(",", "")}.yaml'
        write(paths[name])
    return paths


@pytest.mark.parametrize('command', list(COMMANDS))
@pytest.mark.parametrize('case', list(FILES))
def test_every_command_refuses_a_hostile_config(case, command, hostile_files, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv('DD_API_KEY', 'ddapikey-for-a-command-that-never-starts')
    path = hostile_files[case]
    argv = [str(path) if a == 'CONF' else str(tmp_path / 'out') if a == 'OUT' else a for a in COMMANDS[command]]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f'{path} is refused: ' in err and FILES[case][1] in err, err
    assert not (tmp_path / 'out').exists()
    record(f'{command}: conf.yaml is a {case}', 'exit 2 naming the limit', 'exit 2')


def test_a_real_config_with_merge_keys_still_loads(tmp_path):
    path = tmp_path / 'conf.yaml'
    path.write_text('defaults: &d\n  region: mypurecloud.ie\n  tags: [team:cx]\ninit_config: {}\ninstances:\n'
                    '  - <<: *d\n    client_id: a\n    client_secret: b\n  - <<: *d\n    client_id: c\n'
                    '    client_secret: d\n')
    data = config_file.load(path)
    assert [i['region'] for i in data['instances']] == ['mypurecloud.ie', 'mypurecloud.ie']
    assert data == yaml.safe_load(path.read_text())


def test_the_alias_budget_counts_expanded_nodes(tmp_path):
    # Nine aliases of a 12,000-value list: a handful of lines, 108,000 values once expanded.
    path = tmp_path / 'conf.yaml'
    path.write_text('big: &b [' + ', '.join(['1'] * 12000) + ']\ninstances:\n'
                    + ''.join('  - *b\n' for _ in range(9)))
    with pytest.raises(config_file.ConfigLimitExceeded, match='aliases are expanded'):
        config_file.load(path)
