"""Hostile names from the API (very long, control characters, commas, colons, unicode) give valid, bounded tags."""

from datadog_checks.genesys_cloud import tagging

HOSTILE = 'Sales, EMEA: "VIP"\n\t\x00' + 'é🙂' * 150 + ':tier:1'


def test_tag_helper_bounds_and_cleans():
    tag = tagging.tag('queue_name', HOSTILE)
    assert tag.startswith('queue_name:Sales EMEA: "VIP"')
    assert len(tag) == tagging.MAX_TAG_LENGTH  # cut, not dropped
    assert ',' not in tag and not any(ord(c) < 32 for c in tag)
    assert tagging.tag('queue_name', None) == 'queue_name:unknown'


def test_tag_helper_takes_values_of_any_shape_the_same_way_twice():
    # Tags are cached (the same queue tags are built for every series of every run); a list or dict where a
    # name was expected cannot be a cache key and is cleaned like any other value, every time.
    for value in (['a', 'b'], {'x': 1}, 10 ** 400, HOSTILE):
        assert tagging.tag('queue_name', value) == tagging.tag('queue_name', value) == \
            f'queue_name:{tagging.clean(value) or "unknown"}'[:tagging.MAX_TAG_LENGTH]
    assert tagging.tag('queue_name', 1) != tagging.tag('queue_id', 1)
    # Equal keys to a cache, different text: 1, 1.0 and True stay three tags.
    assert [tagging.tag('level', v) for v in (1, 1.0, True)] == ['level:1', 'level:1.0', 'level:True']


def test_check_survives_hostile_names(make_check, dd_run_check, aggregator, emulator, clock):
    queue = emulator.org.queues[0]
    emulator.org.rename_queue(queue.id, HOSTILE)
    client = next(c for c in emulator.org.oauth_clients if c.id != emulator.client_id)
    emulator.org.rename_oauth_client(client.id, HOSTILE)
    check = make_check()
    for _ in range(3):
        dd_run_check(check)
        clock.advance(60)
    tags = [t for name in aggregator.metric_names for m in aggregator.metrics(name) for t in m.tags]
    # Both hostile names reach their metrics, cleaned and cut the way the tag helper does it.
    assert tagging.tag('queue_name', HOSTILE) in tags
    assert tagging.tag('oauth_client_name', HOSTILE) in tags
    for tag in tags:
        assert len(tag) <= tagging.MAX_TAG_LENGTH, tag
        assert ',' not in tag and not any(ord(c) < 32 for c in tag), repr(tag)
