//! Two [`UserAgent`]s in one process call each other over real loopback sockets: the driver
//! (inbound messages, timers, commands, transmits) without any outside peer.

use std::time::Duration;

use sip_dialog::{Answer, DialogEvent, DialogState, InitialRequest, TerminationReason};
use sip_message::Method;
use sip_ua::{Listen, Media, UaConfig, UserAgent, peer_for_uri};

async fn next(ua: &mut UserAgent) -> DialogEvent {
    tokio::time::timeout(Duration::from_secs(5), ua.next_event())
        .await
        .expect("an event within 5 s")
        .expect("the agent runs")
}

async fn call(listen: fn() -> Listen) {
    let mut alice = UserAgent::start(UaConfig::new(listen()))
        .await
        .expect("alice");
    let mut bob = UserAgent::start(UaConfig::new(listen()))
        .await
        .expect("bob");
    let mut media = Media::bind([127, 0, 0, 1].into()).expect("media port");
    let target = bob.contact().to_owned();
    let peer = peer_for_uri(&target, bob.transport()).expect("peer");
    let req = InitialRequest::new(
        target.clone(),
        format!("<{}>", alice.contact()),
        format!("<{target}>"),
        peer,
    )
    .body(media.offer());
    let invite = alice.invite(req).await.expect("invite");

    // Bob answers the INVITE with an SDP answer.
    let (id, offer) = loop {
        if let DialogEvent::Request { id, request, .. } = next(&mut bob).await {
            assert_eq!(*request.method(), Method::Invite);
            break (id, request.body().clone());
        }
    };
    let body = media.answer(&offer).expect("answer");
    let bob_dialog = bob
        .answer(id, Answer::new(200).body(body))
        .await
        .expect("answered")
        .expect("a dialog");

    // Alice sees the 200 (and acknowledges it); Bob sees the ACK.
    let dialog = loop {
        if let DialogEvent::Response {
            request,
            dialog,
            response,
        } = next(&mut alice).await
        {
            if request == invite && response.status() == 200 {
                assert!(response.body().starts_with(b"v=0\r\n"));
                break dialog.expect("dialog");
            }
        }
    };
    while !matches!(next(&mut bob).await, DialogEvent::Ack { dialog, .. } if dialog == bob_dialog) {
    }

    let bye = alice.bye(dialog).await.expect("bye");
    loop {
        if let DialogEvent::Response {
            request, response, ..
        } = next(&mut alice).await
        {
            if request == bye {
                assert_eq!(response.status(), 200);
                break;
            }
        }
    }
    loop {
        if let DialogEvent::DialogState {
            dialog,
            state: DialogState::Terminated(reason),
        } = next(&mut bob).await
        {
            assert_eq!((dialog, reason), (bob_dialog, TerminationReason::RemoteBye));
            break;
        }
    }
    alice.shutdown().await;
    bob.shutdown().await;
}

#[tokio::test]
async fn call_over_udp() {
    call(|| Listen::Udp("127.0.0.1:0".parse().expect("addr"))).await;
}

#[tokio::test]
async fn call_over_tcp() {
    call(|| Listen::Tcp("127.0.0.1:0".parse().expect("addr"))).await;
}
