#!/usr/bin/env python3
"""A scriptable PJSIP user agent (pjsua2) for Carillon's interop tests.

  pjsua_peer.py call  --transport udp|tcp|tls --port P --target SIP-URI [--hold SECONDS] [--ca FILE]
  pjsua_peer.py answer --transport udp|tcp|tls --port P [--timeout SECONDS] [--cert FILE --key FILE]

`call` places one call, waits for it to be answered, keeps it up for --hold seconds, hangs up
and exits 0 if the call was confirmed and ended cleanly. `answer` waits for one incoming call,
answers 200, waits for the caller's BYE and exits 0. Everything binds to 127.0.0.1 (media too),
with a null audio device. Exit status 1 means the call failed; the reason is printed.
With TLS, --ca names the CA file that verifies the server (the peer's certificate must name
127.0.0.1), and --cert/--key the PEM certificate and key this side presents as a TLS server
(needed in answer mode, where the caller connects to us).
"""
import argparse
import gc
import sys
import time

import pjsua2 as pj


class Call(pj.Call):
    def __init__(self, acc, call_id=pj.PJSUA_INVALID_ID):
        super().__init__(acc, call_id)
        self.confirmed = False
        self.disconnected = False
        self.last_status = 0

    def onCallState(self, prm):
        ci = self.getInfo()
        self.last_status = ci.lastStatusCode
        if ci.state == pj.PJSIP_INV_STATE_CONFIRMED:
            self.confirmed = True
        elif ci.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.disconnected = True


class Account(pj.Account):
    def __init__(self):
        super().__init__()
        self.incoming = None

    def onIncomingCall(self, prm):
        call = Call(self, prm.callId)
        answer = pj.CallOpParam()
        answer.statusCode = 200
        call.answer(answer)
        self.incoming = call


def start_endpoint(port, transport, ca=None, cert=None, key=None):
    """A started pjsua2 endpoint with one transport on 127.0.0.1:`port` and a null audio
    device. With TLS, `ca` verifies the server, `cert`/`key` are what this side presents."""
    ep = pj.Endpoint()
    ep.libCreate()
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = True
    cfg.logConfig.level = 1
    cfg.logConfig.consoleLevel = 1
    cfg.medConfig.noVad = True
    ep.libInit(cfg)
    ep.audDevManager().setNullDev()

    tcfg = pj.TransportConfig()
    tcfg.port = port
    tcfg.boundAddress = "127.0.0.1"
    tcfg.publicAddress = "127.0.0.1"
    kind = {"udp": pj.PJSIP_TRANSPORT_UDP, "tcp": pj.PJSIP_TRANSPORT_TCP, "tls": pj.PJSIP_TRANSPORT_TLS}[transport]
    if transport == "tls" and ca:
        tcfg.tlsConfig.CaListFile = ca
        tcfg.tlsConfig.verifyServer = True
    if transport == "tls" and cert:
        tcfg.tlsConfig.certFile = cert
        tcfg.tlsConfig.privKeyFile = key or ""
    ep.transportCreate(kind, tcfg)
    ep.libStart()
    return ep


def pump(ep, seconds, until=lambda: False):
    end = time.monotonic() + seconds
    while time.monotonic() < end and not until():
        ep.libHandleEvents(20)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["call", "answer"])
    ap.add_argument("--transport", default="udp", choices=["udp", "tcp", "tls"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--target")
    ap.add_argument("--hold", type=float, default=1.0)
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--ca", help="CA file for TLS")
    ap.add_argument("--cert", help="PEM certificate this side presents as a TLS server")
    ap.add_argument("--key", help="PEM private key of --cert")
    args = ap.parse_args()

    ep = start_endpoint(args.port, args.transport, ca=args.ca, cert=args.cert, key=args.key)

    acfg = pj.AccountConfig()
    acfg.idUri = f"sip:pjsua@127.0.0.1:{args.port}"
    acfg.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
    acfg.mediaConfig.transportConfig.publicAddress = "127.0.0.1"
    acfg.natConfig.iceEnabled = False
    acc = Account()
    acc.create(acfg)

    ok = False
    call = None
    try:
        if args.mode == "call":
            target = args.target
            if args.transport != "udp" and ";transport=" not in target:
                target += f";transport={args.transport}"
            call = Call(acc)
            call.makeCall(target, pj.CallOpParam(True))
            pump(ep, args.timeout, lambda: call.confirmed or call.disconnected)
            if not call.confirmed:
                print(f"call not answered (last status {call.last_status})", file=sys.stderr)
            else:
                pump(ep, args.hold)
                call.hangup(pj.CallOpParam())
                pump(ep, 5, lambda: call.disconnected)
                ok = call.disconnected
                if not ok:
                    print("BYE not completed", file=sys.stderr)
        else:
            pump(ep, args.timeout, lambda: acc.incoming is not None and acc.incoming.disconnected)
            call = acc.incoming
            if call is None:
                print("no incoming call", file=sys.stderr)
            elif not call.confirmed:
                print(f"incoming call never confirmed (status {call.last_status})", file=sys.stderr)
            elif not call.disconnected:
                print("caller never sent BYE", file=sys.stderr)
            else:
                ok = True
    finally:
        call = None
        acc.incoming = None
        acc.shutdown()
        acc = None
        gc.collect()
        ep.libDestroy()
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
