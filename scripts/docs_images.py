"""Regenerate the README's report chart (`make docs-images`): a 90-day limits report against the emulator.

The emulator runs on a fixed fake clock and seed, so the image only changes when the code does.
"""

import shutil
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from datadog_checks.genesys_cloud.client import GenesysClient  # noqa: E402
from datadog_checks.genesys_cloud.clock import FakeClock  # noqa: E402

from genesys_cloud_dd.emulator import Emulator, OrgOptions  # noqa: E402
from genesys_cloud_dd.reports import limits  # noqa: E402

IMAGES = {'requests_per_client.png': 'report-requests-per-client.png'}


def main():
    clock = FakeClock(datetime(2026, 11, 18, 14, 0, tzinfo=timezone.utc))
    target = ROOT / 'docs' / 'images'
    target.mkdir(parents=True, exist_ok=True)
    with Emulator(OrgOptions(seed=42, oauth_clients=8, days=100), clock=clock, job_polls=0) as emu, \
            tempfile.TemporaryDirectory() as out:
        client = GenesysClient.from_settings(emu.url, emu.url, emu.client_id, emu.client_secret, clock=clock,
                                             max_requests_per_minute=100000)
        data = limits.pull_limits(client, 90, clock.now().date(), clock.sleep, progress=False)
        limits.write_report(data, out, org_label=emu.org.name)
        for source, name in IMAGES.items():
            shutil.copyfile(Path(out) / source, target / name)
            print(f'wrote docs/images/{name}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
