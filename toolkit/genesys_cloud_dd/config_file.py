"""Reading a conf.yaml someone else may have written: bounded in size, nodes (aliases expanded) and depth.

A conf.yaml is a few kilobytes. A file far larger, a "billion laughs" document (a few lines whose aliases
expand to millions of nodes as soon as anything walks the tree: ENC[] resolution, the config models, JSON
digests) or one nested thousands of levels deep would keep every command busy on the CPU for minutes. Each is
refused before a tree is built, with an error naming the limit it hit:
- MAX_BYTES: the file is read at most this far (the rest is never read);
- MAX_NODES: nodes of the document with every alias expanded (an alias of a 10-node mapping counts 10), so a
  real config with merge keys (`<<: *defaults`) stays far below it and a billion-laughs one stops at once;
- a recursive alias (an anchor used inside itself) is refused outright;
- MAX_DEPTH: nesting levels.
The counting pass walks the parser's events (libyaml's when PyYAML has it, which is also what loads the
document then); nothing is constructed until the document is known to be within the limits.
"""

import yaml
from yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, ScalarEvent

MAX_BYTES = 1024 * 1024
MAX_NODES = 100_000
MAX_DEPTH = 64

Loader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)


class ConfigLimitExceeded(yaml.YAMLError):
    """The document is over one of this module's limits."""


def check_limits(text):
    """Raise ConfigLimitExceeded when `text` expands beyond MAX_NODES nodes or MAX_DEPTH levels."""
    sizes = {}  # anchor -> expanded node count
    open_collections = []  # [anchor, nodes so far] per collection being read
    total = 0
    for event in yaml.parse(text, Loader=Loader):
        if isinstance(event, AliasEvent):
            if any(anchor == event.anchor for anchor, _ in open_collections):
                raise ConfigLimitExceeded(f'the alias *{event.anchor} is used inside its own anchor (a recursive '
                                          'structure): not accepted in a config file')
            size = new = sizes.get(event.anchor, 1)  # an unknown anchor: the loader reports it
        elif isinstance(event, ScalarEvent):
            size = new = 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        elif isinstance(event, CollectionStartEvent):
            open_collections.append([event.anchor, 1])
            if len(open_collections) > MAX_DEPTH:
                raise ConfigLimitExceeded(f'nested more than {MAX_DEPTH} levels deep: not accepted in a config file')
            continue
        elif isinstance(event, CollectionEndEvent):
            anchor, size = open_collections.pop()
            new = 1  # its members were counted as they arrived
            if anchor is not None:
                sizes[anchor] = size
        else:
            continue
        total += new
        if open_collections:
            open_collections[-1][1] += size
        if total > MAX_NODES:
            raise ConfigLimitExceeded(f'more than {MAX_NODES:,} values once aliases are expanded (a conf.yaml holds '
                                      'a few hundred; a "billion laughs" document?): not accepted in a config file')


def load(path):
    """The YAML document at `path`; raises OSError, or yaml.YAMLError (ConfigLimitExceeded for the limits)."""
    with open(path, 'rb') as f:
        data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ConfigLimitExceeded(f'larger than {MAX_BYTES // 1024 // 1024} MB: a conf.yaml is a few kilobytes; '
                                  'not read further')
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as e:
        raise ConfigLimitExceeded(f'not UTF-8 text (byte {e.start})') from None
    check_limits(text)
    return yaml.load(text, Loader=Loader)  # noqa: S506 - a safe loader, within the limits just checked
