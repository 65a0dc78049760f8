#!/usr/bin/env python3
"""Fills a tlsguard records database (schema made by the binary) with synthetic connections for
scripts/bench-impact: real ClientHellos captured from openssl s_client at run time, a realistic mix
of API keys, user agents and addresses, and a share of legacy clients."""
import argparse, csv, hashlib, random, socket, sqlite3, subprocess, threading, time, datetime

def capture(flags):
    """The first flight openssl s_client sends with these flags (read by a listener here)."""
    srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
    port = srv.getsockname()[1]; got = {}
    def serve():
        c, _ = srv.accept(); c.settimeout(3); data = b""
        try:
            while True:
                if len(data) >= 5:
                    need = 5 + int.from_bytes(data[3:5], "big")
                    if len(data) >= need and data[5] == 1:
                        hs = 4 + int.from_bytes(data[6:9], "big")
                        if hs <= need - 5: break
                chunk = c.recv(65536)
                if not chunk: break
                data += chunk
        except socket.timeout:
            pass
        got["bytes"] = data; c.close()
    t = threading.Thread(target=serve); t.start()
    subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "api.example.com"] + flags,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
    t.join(); srv.close()
    return got["bytes"]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db"); ap.add_argument("--records", type=int); ap.add_argument("--keys", type=int)
    ap.add_argument("--legacy-percent", type=float); ap.add_argument("--binary"); ap.add_argument("--work")
    ap.add_argument("--csv", help="write connection.csv, request.csv, client_hello.csv here (for PostgreSQL's COPY) instead of --db")
    a = ap.parse_args()
    low = ["-cipher", "DEFAULT:@SECLEVEL=0"]
    kinds = {  # name: (flags, max version, legacy?)
        "tls13": ([], "TLSv1.3", False), "tls12": (["-tls1_2"], "TLSv1.2", False),
        "tls11": (["-tls1_1"] + low, "TLSv1.1", True), "tls10": (["-tls1"] + low, "TLSv1.0", True),
    }
    hellos = {}
    for name, (flags, version, _) in kinds.items():
        b = capture(flags)
        hellos[name] = (hashlib.sha256(b).hexdigest(), b, version)
    db = CSVSink(a.csv) if a.csv else SQLiteSink(a.db)
    # The file is the binary's own schema (v3). Rows go in as a v2 gateway wrote them: without the
    # rollup triggers (they would make generating 10M rows take half an hour), and the binary's next
    # open runs the v3 migration, which fills the rollups from them (bench-impact times it).
    # (PostgreSQL: bench-impact does the same in SQL before its COPY.)
    db.downgrade()
    now = datetime.datetime.utcnow()
    for name, (h, b, version) in hellos.items():
        db.hello((h, now.strftime("%Y-%m-%d %H:%M:%S.000"), "TLSv1.0", b, None, f"bench-{name}"))
    rnd = random.Random(11)
    legacy_keys = set(rnd.sample(range(a.keys), max(1, int(a.keys * a.legacy_percent / 100))))
    agents = ["okhttp/4.12.0", "python-requests/2.31.0", "Java/1.8.0_151", "curl/7.29.0", "Go-http-client/1.1",
              "axios/1.6.2", "WindowsPowerShell/5.1"]
    start = now - datetime.timedelta(days=30)
    span = 30 * 86400
    conn_rows, req_rows = [], []
    t0 = time.time()
    for i in range(a.records):
        key = rnd.randrange(a.keys)
        legacy = key in legacy_keys and rnd.random() < 0.9
        kind = ("tls10" if key % 2 else "tls11") if legacy else ("tls13" if key % 5 else "tls12")
        h, _, version = hellos[kind]
        t = (start + datetime.timedelta(seconds=rnd.random() * span)).strftime("%Y-%m-%d %H:%M:%S.000")
        cid = f"c{i}"
        addr = f"10.{key % 200}.{(key // 200) % 250}.{key % 7 + 1}"
        conn_rows.append((cid, t, "public", addr, 40000 + i % 20000, "api.example.com", version, version, "TLSv1.0",
                          version, None, None, f"bench-{kind}", None, None,
                          "accepted-legacy" if legacy else "accepted", "default.mode=warn" if legacy else "default.minimumVersion",
                          "warn" if legacy else "modern", None, h, "bench"))
        req_rows.append((cid, t, "GET", "api.example.com", "/v1/items", 200, agents[key % len(agents)],
                         "sha256:" + hashlib.sha256(str(key).encode()).hexdigest(), 3.0, "proxied", None))
        if len(conn_rows) >= 200_000:
            db.flush(conn_rows, req_rows)
    db.flush(conn_rows, req_rows)
    db.close()
    print(f"generated {a.records:,} connections and requests in {time.time() - t0:.0f} s")

class SQLiteSink:
    def __init__(self, path): self.db = sqlite3.connect(path)

    def downgrade(self):
        for kind in ("trigger", "table"):  # the triggers are on connection and request, not on the rollups
            names = [r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = ? AND name LIKE 'daily_%'", (kind,))]
            for name in names: self.db.execute(f"DROP {kind.upper()} {name}")
        self.db.execute("ALTER TABLE request DROP COLUMN connection_time")
        self.db.execute("DELETE FROM grdb_migrations WHERE identifier LIKE 'v3:%'")
        self.db.commit()

    def hello(self, row):
        self.db.execute("INSERT OR IGNORE INTO client_hello (hash, first_seen, record_version, bytes, ja3, ja4) VALUES (?,?,?,?,?,?)", row)

    def flush(self, conn_rows, req_rows):
        self.db.executemany("INSERT INTO connection (id, time, listener, client_address, client_port, server_name, offered_versions,"
                            " max_offered_version, record_version, negotiated_version, cipher_suite, ja3, ja4, alpn_offered,"
                            " alpn_negotiated, outcome, rule, mode, detail, hello_hash, gateway)"
                            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", conn_rows)
        self.db.executemany("INSERT INTO request (connection_id, time, method, host, path, status, user_agent, api_key,"
                            " upstream_latency_ms, outcome, rule) VALUES (?,?,?,?,?,?,?,?,?,?,?)", req_rows)
        self.db.commit()  # a transaction per 200k rows keeps the WAL small (one for 10M grew to 7 GB)
        conn_rows.clear(); req_rows.clear()

    def close(self): self.db.commit(); self.db.close()


class CSVSink:
    """The same rows as CSV in the tables' column order (an empty field is NULL for COPY; times are UTC)."""
    def __init__(self, directory):
        self.files = {t: open(f"{directory}/{t}.csv", "w", newline="") for t in ("connection", "request", "client_hello")}
        self.writers = {t: csv.writer(f) for t, f in self.files.items()}

    def downgrade(self): pass

    @staticmethod
    def utc(row, time_index):
        row = list(row); row[time_index] += "+00"; return row

    def hello(self, row):
        row = self.utc(row, 1); row[3] = "\\x" + row[3].hex()
        self.writers["client_hello"].writerow(row)

    def flush(self, conn_rows, req_rows):
        self.writers["connection"].writerows(self.utc(r, 1) for r in conn_rows)
        self.writers["request"].writerows(self.utc(r, 1) for r in req_rows)
        conn_rows.clear(); req_rows.clear()

    def close(self):
        for f in self.files.values(): f.close()

main()
