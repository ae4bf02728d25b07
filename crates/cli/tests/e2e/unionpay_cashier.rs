//! One app, both banks: a payment created without naming its channel lets the consumer choose
//! the bank at the cashier; the choice is kept on the payment and cannot be switched once the
//! bank has the order.

use crate::harness::World;
use crate::unionpay::{form_of, post_form, start_gateway};
use unipay_client::{CreatePayment, Payment};

async fn checkout_page(world: &World, payment: &Payment) -> String {
    let response = world
        .http
        .get(format!("{}/pay/{}", world.server_url, payment.id))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    response.text().await.unwrap()
}

/// The consumer's choice of bank: the cashier's status code and page.
async fn choose_bank(world: &World, payment: &Payment, channel_account_id: &str) -> (u16, String) {
    let response = world
        .http
        .post(format!("{}/pay/{}/bank", world.server_url, payment.id))
        .form(&[("channel_account_id", channel_account_id)])
        .send()
        .await
        .unwrap();
    (
        response.status().as_u16(),
        response.text().await.unwrap_or_default(),
    )
}

pub async fn consumer_chooses_the_bank_at_the_cashier(world: &mut World) {
    let gateway = start_gateway(world).await;
    let (abc, unionpay) = (
        world.channel_account_id.clone(),
        gateway.channel_account_id.clone(),
    );

    // Created without a channel: the cashier offers both banks and, until one is chosen, no
    // way to pay.
    let to_unionpay = world.create("CHOOSE-UP", 1234).await;
    let page = checkout_page(world, &to_unionpay).await;
    assert!(page.contains("data-test=\"banks\""), "{page}");
    assert!(page.contains(&abc) && page.contains(&unionpay), "{page}");
    assert!(page.contains("中国银联 UnionPay"), "{page}");
    assert!(!page.contains("name=\"payment_type\""), "{page}");

    // An account the app may not use is refused, and nothing changes.
    let before = world.row_counts().await;
    let (status, _) = choose_bank(world, &to_unionpay, "cha_nosuchaccount").await;
    assert_eq!(status, 400);
    world.assert_stored(&before, &[], "a refused bank").await;

    // The consumer picks ABC, thinks again and picks UnionPay: each choice is kept; the ways
    // to pay are UnionPay's.
    let (status, _) = choose_bank(world, &to_unionpay, &abc).await;
    assert_eq!(status, 303);
    let (status, _) = choose_bank(world, &to_unionpay, &unionpay).await;
    assert_eq!(status, 303);
    let page = checkout_page(world, &to_unionpay).await;
    assert!(
        page.contains("name=\"payment_type\" value=\"07\""),
        "{page}"
    );
    let chosen = world
        .client
        .get_payment(&to_unionpay.id, false)
        .await
        .unwrap();
    assert_eq!(chosen.channel, "unionpay");
    assert_eq!(chosen.channel_account_id, unionpay);

    // Paid at the UnionPay gateway.
    let response = world
        .http
        .post(format!("{}/pay/{}", world.server_url, to_unionpay.id))
        .form(&[("payment_type", "07")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "the form to the gateway");
    let (action, fields) = form_of(&response.text().await.unwrap());
    assert!(action.starts_with(&gateway.url), "{action}");
    let (status, page) = post_form(world, &action, &fields).await;
    assert_eq!(status, 200, "{page}");
    let (payer_action, mut answer) = form_of(&page);
    answer.push(("decision".into(), "pay".into()));
    let (status, _) = post_form(world, &payer_action, &answer).await;
    assert_eq!(status, 200);
    let paid = world
        .wait_for_payment(&to_unionpay.id, |p| p.status == "succeeded")
        .await;
    assert_eq!(paid.status, "succeeded");
    assert_eq!(paid.channel, "unionpay");
    assert_eq!(paid.channel_account_id, unionpay);
    world
        .assert_notified_once(&to_unionpay.id, &["payment.succeeded"])
        .await;

    // Another consumer picks ABC and pays at ABC's page.
    let to_abc = world.create("CHOOSE-ABC", 2345).await;
    let (status, _) = choose_bank(world, &to_abc, &abc).await;
    assert_eq!(status, 303);
    let page = checkout_page(world, &to_abc).await;
    assert!(page.contains("name=\"payment_type\""), "{page}");
    world.checkout(&to_abc).await;
    world
        .bank_pays(&to_abc.channel_order_no, "success", "server")
        .await;
    let paid = world
        .wait_for_payment(&to_abc.id, |p| p.status == "succeeded")
        .await;
    assert_eq!(paid.channel, "abc");
    assert_eq!(paid.channel_account_id, abc);

    // The bank has the order: switching to the other bank is refused and changes nothing.
    let store = world.store().await;
    world.quiet().await;
    for (payment, other) in [(&to_abc, &unionpay), (&to_unionpay, &abc)] {
        let row = store.get_payment(&payment.id).await.unwrap().unwrap();
        let before = world.row_counts().await;
        let (status, page) = choose_bank(world, payment, other).await;
        assert_eq!(status, 409, "{page}");
        assert!(page.contains("The bank already has this order"), "{page}");
        world.assert_stored(&before, &[], "a refused switch").await;
        assert_eq!(
            store.get_payment(&payment.id).await.unwrap().unwrap(),
            row,
            "nothing changed"
        );
    }
    // Sent to the bank but not yet paid is as final: the pending payment stays with ABC.
    let pending = world.create("CHOOSE-PENDING", 100).await;
    world.checkout(&pending).await;
    let (status, _) = choose_bank(world, &pending, &unionpay).await;
    assert_eq!(status, 409);
    let still = world.client.get_payment(&pending.id, false).await.unwrap();
    assert_eq!(still.channel_account_id, abc);

    // A payment that named its bank offers no choice, and takes none.
    let named = world
        .client
        .create_payment(&CreatePayment {
            out_trade_no: "NAMED-UP".into(),
            amount: 500,
            currency: "CNY".into(),
            subject: "学费 Tuition".into(),
            channel: Some("unionpay".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let page = checkout_page(world, &named).await;
    assert!(!page.contains("data-test=\"banks\""), "{page}");
    let (status, page) = choose_bank(world, &named, &abc).await;
    assert_eq!(status, 409);
    assert!(page.contains("The merchant set the bank"), "{page}");
    assert_eq!(
        world
            .client
            .get_payment(&named.id, false)
            .await
            .unwrap()
            .channel_account_id,
        unionpay
    );
    store.close().await;
    world.check_invariants().await;
}
