"""The client against a running unipay and its bank simulator: the operations match the
served OpenAPI document; a payment is created, paid at the simulated bank, notified and
verified; its return URL verifies; a refund succeeds and is notified; a retried create with its
Idempotency-Key answers the same payment; refusals surface as ApiError codes.

Reads UNIPAY_BASE_URL, UNIPAY_APP_ID, UNIPAY_APP_SECRET and UNIPAY_BANKSIM_URL."""

import html
import inspect
import json
import os
import queue
import re
import secrets
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import unipay  # noqa: E402

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
PATIENCE_SECONDS = 20


def documented_operations(document):
    return {
        operation["operationId"]: (method.upper(), path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


# Each typed answer names exactly the members its schema documents.
ANSWER_SCHEMAS = {
    unipay.Payment: "Payment", unipay.Refund: "Refund", unipay.RefundList: "RefundList",
    unipay.RefundBatch: "RefundBatch", unipay.DebitBatch: "DebitBatch",
    unipay.Mandate: "Mandate", unipay.IdentityVerification: "IdentityVerification",
    unipay.TransactionPage: "TransactionPage", unipay.ChannelTransactions: "ChannelTransactions",
    unipay.Event: "PaymentEvent",
}

# Each create method takes exactly the members its request schema documents, besides the path's
# id and the Idempotency-Key.
REQUEST_SCHEMAS = {
    "create_payment": "CreatePayment", "capture_payment": "CapturePayment",
    "confirm_kcode": "ConfirmKcode", "create_refund": "CreateRefund",
    "create_refund_batch": "CreateRefundBatch", "create_mandate": "CreateMandate",
    "create_debit": "CreateDebit", "create_debit_batch": "CreateDebitBatch",
    "create_identity_verification": "CreateIdentityVerification",
}
NOT_BODY_PARAMETERS = {"self", "payment_id", "mandate_id", "idempotency_key"}


def check_types_match_the_document(document):
    schemas = document["components"]["schemas"]
    for model, schema in ANSWER_SCHEMAS.items():
        documented = set(schemas[schema]["properties"])
        assert set(model.FIELDS) == documented, (
            f"{model.__name__}: lacks {documented - set(model.FIELDS)}, "
            f"has undocumented {set(model.FIELDS) - documented}")
    for method, schema in REQUEST_SCHEMAS.items():
        taken = set(inspect.signature(getattr(unipay.Client, method)).parameters)
        taken -= NOT_BODY_PARAMETERS
        documented = set(schemas[schema]["properties"])
        assert taken == documented, (
            f"Client.{method}: lacks {documented - taken}, has undocumented {taken - documented}")
    print(f"types: {len(ANSWER_SCHEMAS)} answers and {len(REQUEST_SCHEMAS)} requests as documented")


def check_operations_match_the_document(document):
    documented = documented_operations(document)
    declared = unipay.OPERATIONS
    missing = {k: v for k, v in documented.items() if declared.get(k) != v}
    undocumented = {k: v for k, v in declared.items() if documented.get(k) != v}
    assert not missing, f"documented but not implemented as documented: {missing}"
    assert not undocumented, f"called but not documented: {undocumented}"
    print(f"operations: all {len(documented)} documented operations implemented")


def start_notification_endpoint(secret):
    """An endpoint as a business system would run it; verified events land in the queue."""
    events = queue.Queue()

    class Endpoint(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                header = self.headers.get("Unipay-Signature")
                event = unipay.parse_notification(secret, header, body)
            except unipay.SignatureError as refused:
                events.put(("refused", refused.reason))
                self.send_response(400)
                self.end_headers()
                return
            events.put(("verified", event))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, events


def post(url, data, content_type):
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": content_type})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as answer:
        return answer.code, answer.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def pay_at_the_bank(base_url, bank_url, payment):
    status, _ = post(f"{base_url}/pay/{payment.id}",
                     urllib.parse.urlencode({"payment_type": "A"}).encode(),
                     "application/x-www-form-urlencoded")
    assert status == 303, f"the cashier redirects to the bank, answered {status}"
    status, body = post(f"{bank_url}/sim/orders/{payment.channel_order_no}/pay",
                        json.dumps({"outcome": "success", "notify": "server"}).encode(),
                        "application/json")
    assert 200 <= status < 300, f"the simulated bank pays: {status} {body!r}"


def wait_for_event(events, event_type, object_id):
    deadline = time.time() + PATIENCE_SECONDS
    while time.time() < deadline:
        try:
            outcome, event = events.get(timeout=deadline - time.time())
        except queue.Empty:
            break
        assert outcome == "verified", f"a notification failed verification: {event}"
        if event.type == event_type and event.data.get("id") == object_id:
            return event
    raise AssertionError(f"no verified {event_type} for {object_id} within {PATIENCE_SECONDS} s")


def wait_until(read, done, what):
    deadline = time.time() + PATIENCE_SECONDS
    while True:
        value = read()
        if done(value):
            return value
        assert time.time() < deadline, f"{what}: still {value!r}"
        time.sleep(0.2)


def expect_api_error(code, call):
    try:
        call()
    except unipay.ApiError as error:
        assert error.code == code, f"expected {code}, got {error}"
        return error
    raise AssertionError(f"expected {code}, the call succeeded")


def check_return_url(client, secret, payment):
    with urllib.request.urlopen(f"{client.base_url}/pay/{payment.id}/result", timeout=30) as page:
        text = page.read().decode("utf-8")
    found = re.search(r'class="button" href="([^"]*)"', text)
    assert found, "the result page links back to the merchant"
    link = html.unescape(found.group(1))
    values = unipay.verify_return_url(secret, link)
    assert values["payment_id"] == payment.id and values["status"] == "succeeded", values
    assert values["out_trade_no"] == payment.out_trade_no, values
    try:
        unipay.verify_return_url(secret, link.replace("status=succeeded", "status=failed"))
    except unipay.SignatureError as refused:
        assert refused.reason == "mismatch", refused.reason
    else:
        raise AssertionError("a tampered return URL verified")


def main():
    base_url = os.environ["UNIPAY_BASE_URL"]
    bank_url = os.environ["UNIPAY_BANKSIM_URL"]
    secret = os.environ["UNIPAY_APP_SECRET"]
    client = unipay.Client(base_url, os.environ["UNIPAY_APP_ID"], secret)

    document = client.openapi_document()
    check_operations_match_the_document(document)
    check_types_match_the_document(document)

    endpoint, events = start_notification_endpoint(secret)
    notify_url = f"http://127.0.0.1:{endpoint.server_address[1]}/unipay/notify"
    out_trade_no = f"PY-{secrets.token_hex(6)}"
    payment = client.create_payment(out_trade_no, 500, "学费 Tuition \"autumn\"",
                                    notify_url=notify_url,
                                    return_url="https://shop.example/return?order=7",
                                    metadata={"student": "张三", "term": 2026})
    assert payment.status == "created" and payment.amount == 500, payment
    assert payment.cashier_url.startswith("http"), payment

    pay_at_the_bank(base_url, bank_url, payment)
    event = wait_for_event(events, "payment.succeeded", payment.id)
    assert event.payment.status == "succeeded", event
    assert event.payment.subject == "学费 Tuition \"autumn\"", event
    print(f"payment: {payment.id} paid, payment.succeeded {event.id} verified")

    assert client.get_payment(payment.id).status == "succeeded"
    found = client.find_payment(out_trade_no)
    assert found.id == payment.id and found.metadata == {"student": "张三", "term": 2026}, found
    check_return_url(client, secret, payment)
    print("return URL: verified, a tampered one refused")

    duplicate = expect_api_error("duplicate_out_trade_no", lambda: client.create_payment(
        out_trade_no, 500, "again", notify_url=notify_url))
    assert duplicate.status == 409 and duplicate.payment_id == payment.id, duplicate
    expect_api_error("invalid_amount", lambda: client.create_payment(
        f"PY-{secrets.token_hex(6)}", 0, "nothing"))
    expect_api_error("payment_not_found", lambda: client.get_payment("pay_doesnotexist"))
    print("errors: duplicate_out_trade_no, invalid_amount and payment_not_found are ApiError codes")

    refund = client.create_refund(payment.id, f"PYR-{secrets.token_hex(6)}", 200, reason="退学")
    assert refund.payment_id == payment.id and refund.amount == 200, refund
    refund = wait_until(lambda: client.get_refund(refund.id),
                        lambda r: r.status == "succeeded", "the refund")
    assert client.find_refund(refund.out_refund_no).id == refund.id
    listed = client.list_payment_refunds(payment.id)
    assert [r.id for r in listed.refunds] == [refund.id], listed
    assert client.get_payment(payment.id).refunded_amount == 200
    notified = wait_for_event(events, "refund.succeeded", refund.id)
    assert notified.refund.amount == 200 and notified.refund.payment_id == payment.id, notified
    print(f"refund: {refund.id} succeeded, refund.succeeded {notified.id} verified")

    key = secrets.token_hex(16)
    first = client.create_payment(f"PY-{secrets.token_hex(6)}", 1, "idempotent",
                                  idempotency_key=key)
    again = client.create_payment(first.out_trade_no, 1, "idempotent", idempotency_key=key)
    assert again.id == first.id, (first, again)
    print("idempotency: a retried create with its key answers the same payment")

    endpoint.shutdown()
    print("python client: all checks passed")


if __name__ == "__main__":
    main()
