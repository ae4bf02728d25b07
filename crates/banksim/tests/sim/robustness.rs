//! Never a panic on what a merchant sends: every request the tests' SDK builder writes, with
//! each field of its TrxRequest (and of its `Order{…}`, `AgentBatch{…}` or first list item)
//! removed or replaced by an empty string, an overlong one, a number, a list or an object,
//! signed and handed to the transaction handler. Each gets an answer.

use crate::common::*;
use crate::sdk;
use serde_json::{Value, json};
use unipay_banksim::trx::{Reply, handle};
use unipay_banksim::{SimConfig, SimState};

fn variants(message: &str) -> Vec<String> {
    let base: Value = serde_json::from_str(message).unwrap();
    let replacements = [
        json!(""),
        json!("9".repeat(70)),
        json!(12),
        json!([]),
        json!({}),
        json!("<>&\"}"),
    ];
    let mut paths: Vec<Vec<String>> = Vec::new();
    let request = &base["TrxRequest"];
    for (key, value) in request.as_object().unwrap() {
        paths.push(vec![key.clone()]);
        if let Some(inner) = value.as_object() {
            paths.extend(inner.keys().map(|k| vec![key.clone(), k.clone()]));
        }
        if let Some(inner) = value
            .as_array()
            .and_then(|items| items.first())
            .and_then(Value::as_object)
        {
            paths.extend(
                inner
                    .keys()
                    .map(|k| vec![key.clone(), "0".into(), k.clone()]),
            );
        }
    }
    let mut out = Vec::new();
    for path in paths {
        let mut removed = base.clone();
        if let Some(object) =
            parent_of(&mut removed["TrxRequest"], &path).and_then(Value::as_object_mut)
        {
            object.remove(path.last().unwrap());
        }
        out.push(removed.to_string());
        for replacement in &replacements {
            let mut changed = base.clone();
            if let Some(parent) = parent_of(&mut changed["TrxRequest"], &path) {
                parent[path.last().unwrap().as_str()] = replacement.clone();
            }
            out.push(changed.to_string());
        }
    }
    out
}

/// The object holding the last element of `path`.
fn parent_of<'a>(value: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    let mut current = value;
    for step in &path[..path.len() - 1] {
        current = match step.parse::<usize>() {
            Ok(index) => current.get_mut(index)?,
            Err(_) => current.get_mut(step.as_str())?,
        };
    }
    Some(current)
}

#[tokio::test]
async fn no_request_makes_the_handler_panic() {
    let (key, certificate) = sim_identity();
    let (merchant_key, merchant_certificate) = merchant_identity();
    let mut config = SimConfig::new("http://127.0.0.1:9", key, certificate);
    config
        .merchants
        .push((MERCHANT_ID.into(), merchant_certificate));
    config.notify_schedule_ms = vec![3_600_000];
    let sim = SimState::new(config).unwrap();
    let messages = [
        sdk::pay_req("R1", "1.00", "1", "http://127.0.0.1:9/n"),
        sdk::query("R1"),
        sdk::refund("R1", "R1-R", "1.00"),
        sdk::pre_auth_cancel_confirm("Cancel", "R1-C", "R1", "1.00"),
        sdk::kpay_verify("R2", "1.00", "6228480012345678901", "1234"),
        sdk::kpay("R2", "1.00", "123456", "张三"),
        sdk::kpay_resend("R2", "1.00"),
        sdk::agent_sign("R3", "http://127.0.0.1:9/n"),
        sdk::query_agent_sign("R3"),
        sdk::agent_unsign("R3", "X"),
        sdk::agent_pay("R4", "X", "1.00"),
        sdk::agent_batch("RB", &[("R5", "X", "1.00")]),
        sdk::agent_batch_query("RB"),
        sdk::identity_verify(
            "6228480012345678901",
            "110101199003071234",
            "http://127.0.0.1:9/n",
        ),
        sdk::static_identify(
            "6228480012345678901",
            "张三",
            "110101199003071234",
            "13800138000",
        ),
    ];
    let mut answered = 0;
    for fields in messages {
        // Once as it is, so that later variants meet existing state too.
        for message in std::iter::once(fields.message()).chain(variants(&fields.message())) {
            let body = crate::wire::build_request(&message, &merchant_key);
            match handle(&sim, &body) {
                Reply::Message(text) => assert!(text.contains("ReturnCode"), "{text}"),
                Reply::Hold(_) => {}
            }
            answered += 1;
        }
    }
    assert!(answered > 500, "{answered}");
    sim.begin_shutdown();
}
