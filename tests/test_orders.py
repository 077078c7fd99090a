"""GET /api/orders/:id and GET /api/orders?userId=: shapes, newest first, and who may see what."""

import re

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _book(api, user, show, **body):
    response = api.post("/api/bookings", headers=user.auth, json={
        "eventDateId": show.id, "customerName": "Bob Example", "paymentSource": "card", **body})
    assert response.status_code == 201, response.text
    return response.json()


def test_order_has_the_spec_shape(api, factory):
    show = factory.seated_show(rows=1, per_row=3)
    user = factory.user()
    booked = _book(api, user, show, seats=[{"seatId": show.seat_ids[0]}])

    response = api.get(f"/api/orders/{booked['orderId']}", headers=user.auth)

    assert response.status_code == 200
    order = response.json()
    assert {"id", "createdAt", "customerName", "totalAmount", "tickets"} <= set(order)
    assert (order["id"], order["customerName"], order["totalAmount"]) == (booked["orderId"], "Bob Example", 100)
    assert ISO_UTC.match(order["createdAt"])
    [ticket] = order["tickets"]
    assert {"id", "eventTitle", "eventDate", "ticketType", "seatLabel"} <= set(ticket)
    assert (ticket["id"], ticket["ticketType"], ticket["seatLabel"]) == (booked["tickets"][0]["id"], "VIP", "A-1-1")
    assert ticket["eventTitle"].startswith("Test Event")
    assert ISO_UTC.match(ticket["eventDate"])


def test_orders_of_a_user_newest_first(api, factory):
    show = factory.ga_show({3: (100, 1000)})
    user = factory.user()
    first = _book(api, user, show, tiers=[{"ticketTypeId": 3, "quantity": 1}])
    second = _book(api, user, show, tiers=[{"ticketTypeId": 3, "quantity": 2}])

    response = api.get("/api/orders", params={"userId": user.id}, headers=user.auth)

    assert response.status_code == 200
    orders = response.json()
    assert [o["id"] for o in orders] == [second["orderId"], first["orderId"]]
    assert [len(o["tickets"]) for o in orders] == [2, 1]
    assert orders[0]["tickets"][0]["seatLabel"] is None


def test_a_user_without_orders_gets_an_empty_list(api, factory):
    user = factory.user()
    response = api.get("/api/orders", params={"userId": user.id}, headers=user.auth)
    assert (response.status_code, response.json()) == (200, [])


def test_another_users_orders_are_forbidden(api, factory):
    alice, bob = factory.user(), factory.user()
    response = api.get("/api/orders", params={"userId": alice.id}, headers=bob.auth)
    assert response.status_code == 403
    assert response.json()["error"] == "FORBIDDEN"


def test_another_users_order_is_not_found(api, factory):
    show = factory.ga_show({3: (100, 1000)})
    alice, bob = factory.user(), factory.user()
    booked = _book(api, alice, show, tiers=[{"ticketTypeId": 3, "quantity": 1}])

    response = api.get(f"/api/orders/{booked['orderId']}", headers=bob.auth)

    assert response.status_code == 404
    assert response.json()["error"] == "NOT_FOUND"


def test_admin_sees_any_users_orders(api, factory):
    show = factory.ga_show({3: (100, 1000)})
    alice, admin = factory.user(), factory.user(admin=True)
    booked = _book(api, alice, show, tiers=[{"ticketTypeId": 3, "quantity": 1}])

    assert api.get(f"/api/orders/{booked['orderId']}", headers=admin.auth).status_code == 200
    listed = api.get("/api/orders", params={"userId": alice.id}, headers=admin.auth)
    assert [o["id"] for o in listed.json()] == [booked["orderId"]]


def test_orders_need_login(api):
    assert api.get("/api/orders", params={"userId": 1}).status_code == 401
    assert api.get("/api/orders/1").status_code == 401


def test_bad_order_ids_are_422(api, factory):
    user = factory.user()
    for path, params in (("/api/orders/abc", None), ("/api/orders", {"userId": "me"}), ("/api/orders", {"userId": 0})):
        response = api.get(path, params=params, headers=user.auth)
        assert (response.status_code, response.json()["error"]) == (422, "VALIDATION_ERROR")
