"""Runs every TLS client this machine has against the capture listeners; writes the staging JSON.

Called by scripts/capture-client-hellos inside a mount namespace whose /etc/hosts resolves
HOST_NAME to 127.0.0.1, so every client resolves and sends the name the way it would for a
real server. For each client configuration it records the first ClientHello the client sends
(the TLS records, byte for byte), the client's version output and the exact command; for HTTP
clients it also runs the same client once against a plain HTTP listener to record the
User-Agent it sends by default. Fingerprints are not computed here: the Swift side (TLSWire)
parses every hello and computes JA3/JA4 when it writes clients.json.

Usage: capture.py --out STAGING.json [--only ID_SUBSTRING ...]
"""
import argparse
import datetime
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from listener import HelloListener, UserAgentListener  # noqa: E402

HOST_NAME = "clients.tlsguard.test"
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PROVENANCE = "captured on Debian 12 by scripts/capture-client-hellos"


def run_text(argv, env=None, timeout=60):
    """stdout+stderr of a version command ('' when it cannot run)."""
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (p.stdout + p.stderr).strip()


def first_match(pattern, text, default=None):
    m = re.search(pattern, text, re.M)
    return m.group(1) if m else default


def major_minor(version):
    return ".".join(version.split(".")[:2])


class Client:
    """One client configuration: how to run it against the TLS and (optionally) the HTTP listener."""

    def __init__(self, id, name, family, client_version, library, library_version, configuration,
                 tls, version_output, http=None, env=None, timeout=40, note=None):
        self.id = id
        self.name = name
        self.family = family
        self.client_version = client_version
        self.library = library
        self.library_version = library_version
        self.configuration = configuration
        self.tls = tls          # argv template: {host} {port} {url}
        self.http = http        # argv template for the User-Agent run: {url} is http://
        self.version_output = version_output
        self.env = env or {}
        self.timeout = timeout
        self.note = note


def fill(template, host, port, scheme):
    url = "%s://%s:%d/" % (scheme, host, port)
    return [a.replace("{url}", url).replace("{host}", host).replace("{port}", str(port)) for a in template]


def shown(template, work):
    """The command as recorded: helper programs by their path in the repository; {port} (the
    listener's) and {work} (the run's fresh temporary directory) kept as placeholders."""
    out = []
    for a in template:
        a = a.replace("{url}", "https://{host}:{port}/").replace("{host}", HOST_NAME).replace(work, "{work}")
        a = a.replace(HERE + "/", "scripts/client-capture/").replace(ROOT + "/", "")
        home = os.path.expanduser("~")
        if home != "/" and a.startswith(home + "/"):
            a = "~" + a[len(home):]
        out.append(a)
    return " ".join(quote(a) for a in out)


def quote(a):
    return a if re.fullmatch(r"[A-Za-z0-9_@%+=:,./{}~-]+", a) else "'" + a.replace("'", "'\\''") + "'"


def run_against(listener, argv, env, timeout, wanted):
    """Starts argv in its own process group; stops it once `wanted` results arrived (+1 s) or at timeout."""
    full_env = dict(os.environ)
    full_env.update(env)
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=full_env, start_new_session=True)
    deadline = time.monotonic() + timeout
    got_at = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if got_at is None and len([r for r in listener.snapshot() if wanted(r)]) > 0:
            got_at = time.monotonic()
        if got_at is not None and time.monotonic() - got_at > 1.0:
            break
        time.sleep(0.1)
    if proc.poll() is None:
        # Only the group this function started (its leader is proc.pid).
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        _, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        err = b""
    time.sleep(0.2)
    return (err or b"").decode("utf-8", "replace")[-2000:]


def capture(client):
    listener = HelloListener()
    try:
        err = run_against(listener, fill(client.tls, HOST_NAME, listener.port, "https"), client.env,
                          client.timeout, lambda r: "records" in r)
        results = listener.snapshot()
    finally:
        listener.stop()
    hellos = [r["records"] for r in results if "records" in r]
    return hellos, results, err


def user_agent(client):
    listener = UserAgentListener()
    try:
        run_against(listener, fill(client.http, HOST_NAME, listener.port, "http"), client.env,
                    client.timeout, lambda r: "userAgent" in r)
        results = [r for r in listener.snapshot() if r.get("requestLine")]
    finally:
        listener.stop()
    return results[0] if results else None


# ---------------------------------------------------------------------------------------------
# The clients. Each block detects its client; a client that is not installed gives no profile.

def clients(work):
    out = []
    openssl_v = first_match(r"^OpenSSL (\S+)", run_text(["openssl", "version"]), "")

    curl_out = run_text(["curl", "--version"])
    if curl_out:
        v = first_match(r"^curl (\S+)", curl_out)
        lib = first_match(r"libcurl/\S+ (\w+)/(\S+)", curl_out)
        lib_v = first_match(r"libcurl/\S+ \w+/(\S+)", curl_out)
        base = "curl %s (%s %s" % (major_minor(v), lib, major_minor(lib_v))
        for suffix, config, flags in [
            ("default", "default", []),
            ("tls1.0", "TLS 1.0 only", ["--tlsv1.0", "--tls-max", "1.0"]),
            ("tls1.1-max", "TLS 1.1 at most", ["--tls-max", "1.1"]),
        ]:
            out.append(Client(
                "curl-%s-%s" % (major_minor(v), suffix),
                base + ")" if config == "default" else base + ", " + config + ")",
                "curl", v, lib, lib_v, config,
                ["curl", "-sS", "-o", "/dev/null"] + flags + ["{url}"], curl_out.splitlines()[0],
                http=["curl", "-sS", "-o", "/dev/null", "{url}"]))

    if openssl_v:
        for suffix, config, flags in [
            ("default", "default", []),
            ("tls1", "TLS 1.0 only (-tls1)", ["-tls1"]),
            ("tls1_1", "TLS 1.1 only (-tls1_1)", ["-tls1_1"]),
            ("tls1_2", "TLS 1.2 only (-tls1_2)", ["-tls1_2"]),
        ]:
            name = "openssl s_client %s" % major_minor(openssl_v)
            out.append(Client(
                "openssl-%s-s_client-%s" % (major_minor(openssl_v), suffix),
                name if config == "default" else "%s (%s)" % (name, config.split(" (")[0]),
                "openssl", openssl_v, "OpenSSL", openssl_v, config,
                ["openssl", "s_client"] + flags + ["-connect", "{host}:{port}"],
                run_text(["openssl", "version"])))

    pythons = []
    if os.path.exists("/usr/bin/python3"):
        pythons.append(("/usr/bin/python3", "Debian's python3", True))
    pyenv = os.path.expanduser("~/.pyenv/versions")
    for path in sorted(glob.glob(os.path.join(pyenv, "*/bin/python"))):
        pythons.append((path, "pyenv build on this machine", False))
    seen_requests = set()
    for path, origin, is_debian in pythons:
        info = run_text([path, "-c", "import ssl, sys, platform\n"
                         "print(platform.python_version()); print(ssl.OPENSSL_VERSION)"])
        lines = info.splitlines()
        if len(lines) < 2 or not lines[1].startswith("OpenSSL"):
            continue
        pv, ssl_v = lines[0], lines[1].split()[1]
        py2 = pv.startswith("2.")
        label = "Python %s" % major_minor(pv)
        modes = []
        if py2:
            modes = [("urllib2", "default (urllib2.urlopen)", [path, os.path.join(HERE, "python2_client.py")])]
        elif is_debian:
            modes = [
                ("urllib", "default (urllib.request.urlopen)", [path, os.path.join(HERE, "python_client.py"), "urllib"]),
                ("context", "ssl.create_default_context()", [path, os.path.join(HERE, "python_client.py"), "context"]),
                ("context-tls1.0", "TLS 1.0 only (ssl.TLSVersion.TLSv1)", [path, os.path.join(HERE, "python_client.py"), "context-tls1.0"]),
            ]
        elif pv.split(".")[:2] == ["3", "6"]:
            modes = [("urllib", "default (urllib.request.urlopen)", [path, os.path.join(HERE, "python_client.py"), "urllib"])]
        for suffix, config, argv in modes:
            pid = "python-%s-%s" % (major_minor(pv), suffix)
            if not is_debian:
                pid = "python-%s-pyenv-%s" % (major_minor(pv), suffix)
            name = "%s (%s, OpenSSL %s)" % (label, "urllib2" if py2 else "urllib", major_minor(ssl_v))
            if suffix == "context":
                name = "%s (ssl default context, OpenSSL %s)" % (label, major_minor(ssl_v))
            elif suffix == "context-tls1.0":
                name = "%s (ssl, OpenSSL %s, TLS 1.0 only)" % (label, major_minor(ssl_v))
            out.append(Client(
                pid, name, "python", pv, "OpenSSL", ssl_v,
                config + ("" if is_debian else "; %s" % origin),
                argv + ["{url}"], "Python %s (%s)\n%s" % (pv, path, lines[1]),
                http=argv + ["{url}"]))
        # requests, where this Python has it (Debian's python3-requests, or pip's in a pyenv build)
        req = run_text([path, "-c", "import requests, urllib3; print(requests.__version__, urllib3.__version__)"])
        m = re.fullmatch(r"(\S+) (\S+)", req)
        if m and not py2 and (m.group(1), m.group(2)) not in seen_requests:
            seen_requests.add((m.group(1), m.group(2)))
            rv, uv = m.group(1), m.group(2)
            argv = [path, os.path.join(HERE, "python_client.py"), "requests"]
            out.append(Client(
                "python-requests-%s" % major_minor(rv),
                "python-requests %s (urllib3 %s, Python %s, OpenSSL %s)" % (major_minor(rv), major_minor(uv), major_minor(pv), major_minor(ssl_v)),
                "python", rv, "OpenSSL", ssl_v,
                "default (requests.get)" + ("" if is_debian else "; %s" % origin),
                argv + ["{url}"], "requests %s, urllib3 %s, Python %s (%s)\n%s" % (rv, uv, pv, path, lines[1]),
                http=argv + ["{url}"]))

    java_out = run_text(["java", "-version"])
    if java_out:
        jv = first_match(r'version "([^"]+)"', java_out)
        jmajor = jv.split(".")[0] if not jv.startswith("1.") else jv.split(".")[1]
        prog = os.path.join(HERE, "CaptureClient.java")
        legacy = write_java_legacy_security(work)
        legacy_config = ("TLSv1 and TLSv1.1 taken out of jdk.tls.disabledAlgorithms by "
                         "{work}/java-legacy.security, which the script writes from the installed java.security")
        variants = [
            ("urlconnection", "default", [], "HttpsURLConnection"),
            ("urlconnection-tls1.0", "TLS 1.0 only (-Djdk.tls.client.protocols=TLSv1; %s)" % legacy_config,
             ["-Djava.security.properties=" + legacy, "-Djdk.tls.client.protocols=TLSv1"], "HttpsURLConnection"),
            ("urlconnection-tls1.1", "TLS 1.1 only (-Djdk.tls.client.protocols=TLSv1.1; %s)" % legacy_config,
             ["-Djava.security.properties=" + legacy, "-Djdk.tls.client.protocols=TLSv1.1"], "HttpsURLConnection"),
            ("httpclient", "default", [], "HttpClient"),
        ]
        for suffix, config, props, api in variants:
            mode = "urlconnection" if suffix.startswith("urlconnection") else "httpclient"
            tail = "" if config == "default" else ", " + config.split(" (")[0]
            out.append(Client(
                "java-%s-%s" % (jmajor, suffix),
                "Java %s (JSSE, %s%s)" % (jmajor, api, tail),
                "java", jv, "JSSE", jv, config,
                ["java"] + props + [prog, mode, "{url}"], java_out.splitlines()[0] + "\n" + java_out.splitlines()[1],
                http=["java", prog, mode, "{url}"], timeout=90))

    node_v = run_text(["node", "--version"])
    if node_v:
        nv = node_v.lstrip("v")
        nssl = run_text(["node", "-p", "process.versions.openssl"])
        prog = os.path.join(HERE, "node_client.js")
        for suffix, config in [("default", "default"),
                               ("tls1.0", "TLS 1.0 only (minVersion/maxVersion 'TLSv1')")]:
            out.append(Client(
                "node-%s-%s" % (nv.split(".")[0], suffix),
                "Node.js %s (https, OpenSSL %s%s)" % (nv.split(".")[0], major_minor(nssl), "" if suffix == "default" else ", TLS 1.0 only"),
                "node", nv, "OpenSSL", nssl, config,
                ["node", prog, suffix, "{url}"], "node %s (OpenSSL %s)" % (node_v, nssl),
                http=["node", prog, suffix, "{url}"]))

    gnutls_out = run_text(["gnutls-cli", "--version"])
    if gnutls_out:
        gv = first_match(r"^gnutls-cli (\S+)", gnutls_out)
        for suffix, config, flags in [
            ("default", "default", []),
            ("tls1.0", "TLS 1.0 only (--priority NORMAL:-VERS-ALL:+VERS-TLS1.0)", ["--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.0"]),
        ]:
            out.append(Client(
                "gnutls-%s-cli-%s" % (major_minor(gv), suffix),
                "gnutls-cli %s%s" % (major_minor(gv), "" if suffix == "default" else " (TLS 1.0 only)"),
                "gnutls", gv, "GnuTLS", gv, config,
                ["gnutls-cli"] + flags + ["--port", "{port}", "{host}"], gnutls_out.splitlines()[0]))

    wget_out = run_text(["wget", "--version"])
    if wget_out:
        wv = first_match(r"^GNU Wget (\S+)", wget_out)
        wlib = "GnuTLS" if "+ssl/gnutls" in wget_out else ("OpenSSL" if "+ssl/openssl" in wget_out else "?")
        wlib_v = gnutls_lib_version() if wlib == "GnuTLS" else openssl_v
        for suffix, config, flags in [
            ("default", "default", []),
            ("tlsv1", "--secure-protocol=TLSv1", ["--secure-protocol=TLSv1"]),
        ]:
            out.append(Client(
                "wget-%s-%s" % (major_minor(wv), suffix),
                "Wget %s (%s %s%s)" % (major_minor(wv), wlib, major_minor(wlib_v), "" if suffix == "default" else ", --secure-protocol=TLSv1"),
                "wget", wv, wlib, wlib_v, config,
                ["wget", "-q", "-O", "/dev/null", "--tries=1"] + flags + ["{url}"], wget_out.splitlines()[0],
                http=["wget", "-q", "-O", "/dev/null", "--tries=1", "{url}"]))

    venv_python = os.path.join(ROOT, ".build/test-peers/venv/bin/python")
    tl = run_text([venv_python, "-c", "import importlib.metadata as m; print(m.version('tlslite-ng'))"]) if os.path.exists(venv_python) else ""
    if re.fullmatch(r"[\d.]+", tl):
        prog = os.path.join(HERE, "tlslite_client.py")
        for suffix, config in [("default", "default HandshakeSettings"),
                               ("tls1.0", "TLS 1.0 only (HandshakeSettings minVersion = maxVersion = (3, 1))")]:
            out.append(Client(
                "tlslite-%s-%s" % (major_minor(tl), suffix),
                "tlslite-ng %s%s" % (major_minor(tl), "" if suffix == "default" else " (TLS 1.0 only)"),
                "tlslite", tl, "tlslite-ng", tl, config,
                [venv_python, prog, suffix, "{host}", "{port}"], "tlslite-ng %s (PyPI, in .build/test-peers/venv by scripts/install-test-deps)" % tl))

    go_out = run_text(["go", "version"])
    if go_out:
        gov = first_match(r"go version go(\S+)", go_out)
        prog = os.path.join(HERE, "go_client.go")
        env = {"GOCACHE": os.path.join(work, "gocache"), "GOPATH": os.path.join(work, "gopath"), "GO111MODULE": "off"}
        for suffix, config in [("default", "default (http.Get)"),
                               ("tls1.0", "TLS 1.0 only (tls.Config MinVersion = MaxVersion = tls.VersionTLS10)")]:
            out.append(Client(
                "go-%s-%s" % (major_minor(gov), suffix),
                "Go %s (net/http, crypto/tls%s)" % (major_minor(gov), "" if suffix == "default" else ", TLS 1.0 only"),
                "go", gov, "crypto/tls", gov, config,
                ["go", "run", prog, suffix, "{url}"], go_out,
                http=["go", "run", prog, suffix, "{url}"], env=env, timeout=120))

    perl_out = run_text(["perl", "-MIO::Socket::SSL", "-MHTTP::Tiny", "-e",
                         'print "$IO::Socket::SSL::VERSION $Net::SSLeay::VERSION $HTTP::Tiny::VERSION ", Net::SSLeay::SSLeay_version(0), "\\n"'])
    m = re.match(r"(\S+) (\S+) (\S+) OpenSSL (\S+)", perl_out)
    if m:
        iv, nv_, hv, pssl = m.groups()
        prog = os.path.join(HERE, "perl_client.pl")
        for suffix, config in [("default", "default (HTTP::Tiny)"),
                               ("tls1.0", "TLS 1.0 only (SSL_version => 'TLSv1')")]:
            out.append(Client(
                "perl-io-socket-ssl-%s-%s" % (iv, suffix),
                "Perl IO::Socket::SSL %s (HTTP::Tiny, OpenSSL %s%s)" % (iv, major_minor(pssl), "" if suffix == "default" else ", TLS 1.0 only"),
                "perl", iv, "OpenSSL", pssl, config,
                ["perl", prog, suffix, "{url}"],
                "IO::Socket::SSL %s, Net::SSLeay %s, HTTP::Tiny %s, %s" % (iv, nv_, hv, run_text(["perl", "-v"]).splitlines()[0]),
                http=["perl", prog, suffix, "{url}"]))

    chromium_out = "\n".join(l for l in run_text(["chromium", "--version"]).splitlines() if l.startswith("Chromium"))
    if chromium_out:
        cv = first_match(r"^Chromium (\S+)", chromium_out)
        profile = os.path.join(work, "chromium-profile")
        argv = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--user-data-dir=" + profile, "--dump-dom", "{url}"]
        out.append(Client(
            "chromium-%s-headless" % cv.split(".")[0],
            "Chromium %s (headless, BoringSSL)" % cv.split(".")[0],
            "browser", cv, "BoringSSL", "bundled with Chromium %s" % cv, "default (headless, fresh profile; run as root so --no-sandbox)",
            argv, chromium_out, http=argv))

    firefox_out = run_text(["firefox-esr", "--version"], env=dict(os.environ, HOME=os.path.join(work, "firefox-home")))
    if firefox_out.startswith("Mozilla Firefox"):
        fv = first_match(r"Firefox (\S+)", firefox_out)
        profile = os.path.join(work, "firefox-profile")
        os.makedirs(profile, exist_ok=True)
        argv = ["firefox-esr", "--headless", "--no-remote", "--profile", profile,
                "--screenshot", os.path.join(work, "firefox.png"), "{url}"]
        out.append(Client(
            "firefox-%s-headless" % fv.split(".")[0],
            "Firefox ESR %s (headless, NSS)" % fv.split(".")[0],
            "browser", fv, "NSS", nss_version(), "default (headless, fresh profile)",
            argv, firefox_out, http=argv, env={"HOME": os.path.join(work, "firefox-home")}, timeout=60))
    return out


def write_java_legacy_security(work):
    """A java.security override: the installed jdk.tls.disabledAlgorithms without TLSv1 and TLSv1.1."""
    home = os.path.dirname(os.path.dirname(os.path.realpath(shutil.which("java"))))
    text = open(os.path.join(home, "conf/security/java.security")).read()
    m = re.search(r"^jdk\.tls\.disabledAlgorithms=((?:.*\\\n)*.*)$", text, re.M)
    values = [v.strip() for v in m.group(1).replace("\\\n", " ").split(",")]
    kept = [v for v in values if v not in ("TLSv1", "TLSv1.1")]
    path = os.path.join(work, "java-legacy.security")
    with open(path, "w") as f:
        f.write("jdk.tls.disabledAlgorithms=" + ", ".join(kept) + "\n")
    return path


def gnutls_lib_version():
    out = run_text(["dpkg-query", "-W", "-f=${Version}", "libgnutls30"])
    return out.split("-")[0] if out else "?"


def nss_version():
    out = run_text(["dpkg-query", "-W", "-f=${Version}", "libnss3"])
    return out.split("-")[0].split(":")[-1] if out else "bundled"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--only", action="append", default=[])
    args = parser.parse_args()
    today = datetime.date.today().isoformat()
    work = tempfile.mkdtemp(prefix="capture-client-hellos.")
    profiles, skipped = [], []
    agents = {}
    try:
        for client in clients(work):
            if args.only and not any(o in client.id for o in args.only):
                continue
            started = time.monotonic()
            hellos, results, err = capture(client)
            if not hellos:
                reason = "; ".join(r.get("error", "") for r in results) or "no connection"
                skipped.append({"id": client.id, "reason": reason, "stderr": err.strip()[-300:]})
                print("  %-34s no ClientHello (%s)" % (client.id, reason), file=sys.stderr)
                continue
            agent = None
            if client.http:
                key = " ".join(client.http) + repr(sorted(client.env.items()))
                if key not in agents:
                    agents[key] = user_agent(client)
                agent = agents[key]
            profile = {
                "id": client.id,
                "name": client.name,
                "family": client.family,
                "clientVersion": client.client_version,
                "library": client.library,
                "libraryVersion": client.library_version,
                "configuration": client.configuration,
                "command": shown(client.tls, work),
                "versionOutput": client.version_output,
                "captureDate": today,
                "provenance": PROVENANCE,
                "recordHex": hellos[0].hex(),
                "connections": len(hellos),
            }
            if agent is not None:
                profile["userAgent"] = agent["userAgent"]
            profiles.append(profile)
            print("  %-34s %4d bytes, %d connection(s), %.1f s%s" % (
                client.id, len(hellos[0]), len(hellos), time.monotonic() - started,
                ", UA " + repr(profile.get("userAgent")) if client.http else ""), file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with open(args.out, "w") as f:
        json.dump({"captureDate": today, "hostName": HOST_NAME, "profiles": profiles, "skipped": skipped}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
