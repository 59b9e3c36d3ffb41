//! A call through the proxy: SIPp `uas` registers as bob (digest authentication), SIPp `uac`
//! as alice calls bob (challenged with 407, answers with credentials), bob answers, alice
//! hangs up. Over UDP and TCP. The ACK and BYE follow the Record-Route.

mod common;

use std::time::Duration;

use common::{
    Proc, Server, TempDir, free_port, injection, sipp, sipp_cmd, sipp_counter, wait_listening,
};

const LIMIT: Duration = Duration::from_secs(60);

fn call_through_proxy(tcp: bool) {
    let test = format!(
        "sipp_call_through_proxy_over_{}",
        if tcp { "tcp" } else { "udp" }
    );
    let Some(sipp) = sipp(&test) else { return };
    let dir = TempDir::new(&test);
    let server = Server::start(dir.path());
    server.add_user("alice@127.0.0.1", "alice-pw");
    server.add_user("bob@127.0.0.1", "bob-pw");
    let inf = injection(
        dir.path(),
        "users.csv",
        &[vec![
            "alice".into(),
            "127.0.0.1".into(),
            "alice-pw".into(),
            "bob".into(),
            "127.0.0.1".into(),
        ]],
    );
    let bob_inf = injection(
        dir.path(),
        "bob.csv",
        &[vec!["bob".into(), "127.0.0.1".into(), "bob-pw".into()]],
    );

    // Bob registers from the port his UAS will listen on.
    let bob_port = free_port();
    let mut reg = sipp_cmd(&sipp, "register.xml", server.port, bob_port, tcp);
    reg.arg("-inf").arg(&bob_inf).args(["-m", "1"]);
    let mut reg = Proc::spawn("sipp-register", reg, dir.path());
    let (out, _) = reg.expect_success(LIMIT);
    assert_eq!(sipp_counter(&out, "Successful call"), Some(1), "{out}");

    let mut uas = sipp_cmd(&sipp, "uas.xml", server.port, bob_port, tcp);
    uas.args(["-m", "1"]);
    let mut uas = Proc::spawn("sipp-uas", uas, dir.path());
    wait_listening(!tcp, bob_port, common::READY, &mut uas);

    let mut uac = sipp_cmd(&sipp, "uac_auth.xml", server.port, free_port(), tcp);
    uac.arg("-inf").arg(&inf).args(["-m", "1"]);
    let mut uac = Proc::spawn("sipp-uac", uac, dir.path());
    let (uac_out, uas_out, took) = common::expect_both(&mut uac, &mut uas, LIMIT);
    assert_eq!(
        sipp_counter(&uac_out, "Successful call"),
        Some(1),
        "{uac_out}"
    );
    assert_eq!(
        sipp_counter(&uas_out, "Successful call"),
        Some(1),
        "{uas_out}"
    );
    let metrics = server.metrics_text();
    for line in [
        "carillon_transactions_total{method=\"INVITE\",class=\"2xx\"} 1",
        "carillon_transactions_total{method=\"INVITE\",class=\"4xx\"} 1",
        "carillon_transactions_total{method=\"BYE\",class=\"2xx\"} 1",
    ] {
        assert!(metrics.contains(line), "missing {line} in\n{metrics}");
    }
    println!("{test}: ok in {took:.2?}");
}

#[test]
fn sipp_call_through_proxy_over_udp() {
    call_through_proxy(false);
}

#[test]
fn sipp_call_through_proxy_over_tcp() {
    call_through_proxy(true);
}
