"""Licence definitions and per-user licence assignments (SDK `apis/license_api.py`).

`GET /api/v2/license/users` pages with pageSize/pageNumber and answers only
`entities, pageSize, pageNumber, total, pageCount` (SDK model UserLicensesEntityListing). Neither the SDK nor
the docs give its largest pageSize; the emulator accepts up to 500, the ceiling of GET /api/v2/users
(UNVERIFIED for this endpoint; the check falls back to 100 if a real org refuses 500).
"""

from ..data.licensing import licensing
from ..paging import short_listing
from ..routing import Sample, route

MAX_LICENSE_PAGE_SIZE = 500


@route('GET', '/api/v2/license/definitions', sdk_model='list[LicenseDefinition]')
def get_license_definitions(request):
    # A bare array, no paging (reference section 7.1).
    return [
        {'id': d['id'], 'description': d['description'], 'permissions': {'ids': []}, 'prerequisites': [],
         'comprises': [], 'selfUri': '/api/v2/license/definitions/' + d['id']}
        for d in licensing(request.org).definitions
    ]


@route('GET', '/api/v2/license/users', sdk_model='UserLicensesEntityListing',
       samples=[Sample(), Sample(query={'pageSize': '10', 'pageNumber': '2'})])
def get_license_users(request):
    org = request.org
    data = licensing(org)
    with org.lock:
        users = [u for u in org.users if u.state == 'active']
    return short_listing(
        request, users,
        lambda u: {'id': u.id, 'licenses': list(data.assignments[u.id]), 'selfUri': '/api/v2/license/users/' + u.id},
        max_size=MAX_LICENSE_PAGE_SIZE,
    )
