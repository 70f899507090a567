import time
import pytest
from tests.contracts.test_cross_tenant_routes import *  # noqa
from tests.contracts.test_cross_tenant_routes import walk  # noqa

@pytest.mark.db
async def test_debug(walk):
    ident = Identity("admin", walk.a.admin, walk.a.tenant_id, "session")
    await ident.renew()
    with TestClient(walk.app, base_url=f"http://{A_HOST}") as client:
        csrf = client.get("/").cookies.get(CSRF_COOKIE, "")
        for path in ["/health", "/", "/admin/users", "/api/v1/tenant"]:
            t = time.perf_counter()
            for _ in range(20):
                r = request(client, walk, "GET", path, ident.headers(csrf))
            print(path, r.status_code, round((time.perf_counter() - t) / 20 * 1000, 1), "ms")
        t = time.perf_counter()
        walk.requests = 0
        await walk_identity(walk, client, ident, csrf, options=False)
        print("walk", walk.requests, round(time.perf_counter() - t, 1), "s")
