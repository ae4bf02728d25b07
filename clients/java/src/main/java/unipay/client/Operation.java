package unipay.client;

/**
 * Every {@code /v1} operation this client calls, by the document's operationId. The client calls
 * the API only through these, and a test compares them with the server's OpenAPI document, so
 * that the client can neither miss an operation nor call one that is not documented.
 */
public enum Operation {
    CREATE_PAYMENT("createPayment", "POST", "/v1/payments"),
    FIND_PAYMENT("findPayment", "GET", "/v1/payments"),
    GET_PAYMENT("getPayment", "GET", "/v1/payments/{id}"),
    CLOSE_PAYMENT("closePayment", "POST", "/v1/payments/{id}/close"),
    CAPTURE_PAYMENT("capturePayment", "POST", "/v1/payments/{id}/capture"),
    CANCEL_PAYMENT("cancelPayment", "POST", "/v1/payments/{id}/cancel"),
    CONFIRM_KCODE("confirmKcode", "POST", "/v1/payments/{id}/kcode/confirm"),
    RESEND_KCODE("resendKcode", "POST", "/v1/payments/{id}/kcode/resend"),
    CREATE_REFUND("createRefund", "POST", "/v1/payments/{id}/refunds"),
    LIST_PAYMENT_REFUNDS("listPaymentRefunds", "GET", "/v1/payments/{id}/refunds"),
    FIND_REFUND("findRefund", "GET", "/v1/refunds"),
    GET_REFUND("getRefund", "GET", "/v1/refunds/{id}"),
    CREATE_REFUND_BATCH("createRefundBatch", "POST", "/v1/refund-batches"),
    GET_REFUND_BATCH("getRefundBatch", "GET", "/v1/refund-batches/{id}"),
    CREATE_MANDATE("createMandate", "POST", "/v1/mandates"),
    GET_MANDATE("getMandate", "GET", "/v1/mandates/{id}"),
    CANCEL_MANDATE("cancelMandate", "POST", "/v1/mandates/{id}/cancel"),
    CREATE_DEBIT("createDebit", "POST", "/v1/mandates/{id}/debits"),
    CREATE_DEBIT_BATCH("createDebitBatch", "POST", "/v1/debit-batches"),
    GET_DEBIT_BATCH("getDebitBatch", "GET", "/v1/debit-batches/{id}"),
    CREATE_IDENTITY_VERIFICATION("createIdentityVerification", "POST", "/v1/identity-verifications"),
    GET_IDENTITY_VERIFICATION("getIdentityVerification", "GET", "/v1/identity-verifications/{id}"),
    LIST_TRANSACTIONS("listTransactions", "GET", "/v1/transactions"),
    LIST_CHANNEL_TRANSACTIONS("listChannelTransactions", "GET", "/v1/channel-transactions"),
    GET_OPENAPI_DOCUMENT("getOpenApiDocument", "GET", "/v1/openapi.json");

    private final String operationId;
    private final String method;
    private final String pathTemplate;

    Operation(String operationId, String method, String pathTemplate) {
        this.operationId = operationId;
        this.method = method;
        this.pathTemplate = pathTemplate;
    }

    public String operationId() {
        return operationId;
    }

    public String method() {
        return method;
    }

    public String pathTemplate() {
        return pathTemplate;
    }
}
