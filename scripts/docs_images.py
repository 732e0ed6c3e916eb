"""Regenerate the README's report charts (`make docs-images`): one chart from each evidence pack, drawn against the
emulator on a fixed fake clock and seed, so the images only change when the code does.
"""

import shutil
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'toolkit'))
sys.path.insert(0, str(ROOT))

from datadog_checks.genesys_cloud.client import GenesysClient  # noqa: E402
from datadog_checks.genesys_cloud.clock import FakeClock  # noqa: E402

from genesys_cloud_dd.emulator import Emulator, OrgOptions  # noqa: E402
from genesys_cloud_dd.reports import licenses, limits  # noqa: E402

# pack -> {chart in the pack: image in docs/images}
IMAGES = {
    'limits': {'binding_limit.png': 'report-binding-limit.png'},
    'licenses': {'ai_experience_tokens.png': 'report-ai-tokens.png'},
}
STALE = ('report-requests-per-client.png',)  # charts the README no longer shows


def main():
    clock = FakeClock(datetime(2026, 11, 18, 14, 0, tzinfo=timezone.utc))
    target = ROOT / 'docs' / 'images'
    target.mkdir(parents=True, exist_ok=True)
    with Emulator(OrgOptions(seed=42, oauth_clients=8, days=100), clock=clock, job_polls=0) as emu, \
            tempfile.TemporaryDirectory() as out:
        client = GenesysClient.from_settings(emu.url, emu.url, emu.client_id, emu.client_secret, clock=clock,
                                             max_requests_per_minute=100000)
        data = limits.pull_limits(client, 90, clock.now().date(), clock.sleep, progress=False)
        limits.write_report(data, str(Path(out) / 'limits'), org_label=emu.org.name)
        data = licenses.pull_licenses(client, clock.now(), clock.sleep, progress=False)
        licenses.write_report(data, str(Path(out) / 'licenses'), org_label=emu.org.name)
        for pack, images in IMAGES.items():
            for source, name in images.items():
                shutil.copyfile(Path(out) / pack / source, target / name)
                print(f'wrote docs/images/{name}')
    for name in STALE:
        (target / name).unlink(missing_ok=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
