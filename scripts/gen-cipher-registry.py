#!/usr/bin/env python3
"""Generate Sources/TLSWire/Registry/CipherSuiteInfo+Data.swift, the cipher-suite registry.

Inputs (all under scripts/data/, saved so the generator runs offline):
  iana-tls-cipher-suites.csv    IANA "TLS Cipher Suites" registry (tls-parameters-4.csv)
  unofficial-cipher-suites.csv  legacy, draft and vendor code points outside IANA
  openssl-3.0-ciphers-V.txt     `openssl ciphers -V 'ALL:COMPLEMENTOFALL:@SECLEVEL=0'` (+ TLS 1.3 CCM)
  openssl-legacy-names.csv      OpenSSL names for suites OpenSSL 3.0 no longer prints
  tshark-ciphersuite-values.tsv `tshark -G values` rows for tls.handshake.ciphersuite (cross-check)

Every property (key exchange, authentication, cipher, bits, mode, block size, MAC, export,
versions) is derived from the suite's name by the tables below; a few explicit overrides are
listed in OVERRIDES with the reason. The script checks itself with assertions before writing.

Usage: python3 scripts/gen-cipher-registry.py [--check]   (--check: verify the file is current)
Standard library only.
"""

import csv
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from typing import Optional

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "scripts", "data")
OUT = os.path.join(ROOT, "Sources", "TLSWire", "Registry", "CipherSuiteInfo+Data.swift")

# ---------------------------------------------------------------------------------------------
# Derivation tables
# ---------------------------------------------------------------------------------------------

# Part of the name before _WITH_ (after the TLS_/SSL_ prefix) -> (keyExchange, authentication).
KEY_EXCHANGE = {
    "NULL": ("null", "null"),
    "RSA": ("rsa", "rsa"),
    "RSA_EXPORT": ("rsaExport", "rsa"),
    "RSA_EXPORT1024": ("rsaExport", "rsa"),
    "RSA_FIPS": ("rsa", "rsa"),
    "RSA_OLDFIPS": ("rsa", "rsa"),
    "DH_DSS": ("dh", "dh"),
    "DH_RSA": ("dh", "dh"),
    "DH_DSS_EXPORT": ("dh", "dh"),
    "DH_RSA_EXPORT": ("dh", "dh"),
    "DHE_DSS": ("dhe", "dss"),
    "DHE_RSA": ("dhe", "rsa"),
    "DHE_DSS_EXPORT": ("dhe", "dss"),
    "DHE_RSA_EXPORT": ("dhe", "rsa"),
    "DHE_DSS_EXPORT1024": ("dhe", "dss"),
    "DH_anon": ("dh", "anonymous"),
    "DH_anon_EXPORT": ("dh", "anonymous"),
    "KRB5": ("krb5", "krb5"),
    "KRB5_EXPORT": ("krb5", "krb5"),
    "PSK": ("psk", "psk"),
    "DHE_PSK": ("dhePSK", "psk"),
    "PSK_DHE": ("dhePSK", "psk"),  # RFC 6655 spells 0xC0AA/0xC0AB this way round
    "RSA_PSK": ("rsaPSK", "rsa"),
    "ECDHE_PSK": ("ecdhePSK", "psk"),
    "ECDH_ECDSA": ("ecdh", "ecdh"),
    "ECDH_RSA": ("ecdh", "ecdh"),
    "ECDHE_ECDSA": ("ecdhe", "ecdsa"),
    "ECDHE_RSA": ("ecdhe", "rsa"),
    "ECDH_anon": ("ecdh", "anonymous"),
    "SRP_SHA": ("srp", "srp"),
    "SRP_SHA_RSA": ("srp", "srpRSA"),
    "SRP_SHA_DSS": ("srp", "srpDSS"),
    "ECCPWD": ("eccpwd", "eccpwd"),
    "GOSTR341094": ("gost", "gost"),
    "GOSTR341001": ("gost", "gost"),
    "GOSTR341112_256": ("gost", "gost"),
    "GOSTR341094_RSA": ("rsa", "rsa"),  # 0xFF00: RSA key transport, GOST 28147 bulk cipher
    "FORTEZZA_KEA": ("fortezza", "fortezza"),
}

# Bulk cipher as spelled in the name -> (effective key bits, mode, block bits).
CIPHERS = {
    "NULL": (0, "null", 0),
    "RC4_40": (40, "stream", 0),
    "RC4_56": (56, "stream", 0),
    "RC4_128": (128, "stream", 0),
    "RC2_CBC_40": (40, "cbc", 64),
    "RC2_CBC_56": (56, "cbc", 64),
    "DES40_CBC": (40, "cbc", 64),
    "DES_CBC_40": (40, "cbc", 64),
    "DES_CBC": (56, "cbc", 64),
    "3DES_EDE_CBC": (112, "cbc", 64),
    "IDEA_CBC": (128, "cbc", 64),
    "FORTEZZA_CBC": (80, "cbc", 64),  # Skipjack, 80-bit key
    "SEED_CBC": (128, "cbc", 128),
    "AES_128_CBC": (128, "cbc", 128),
    "AES_256_CBC": (256, "cbc", 128),
    "CAMELLIA_128_CBC": (128, "cbc", 128),
    "CAMELLIA_256_CBC": (256, "cbc", 128),
    "ARIA_128_CBC": (128, "cbc", 128),
    "ARIA_256_CBC": (256, "cbc", 128),
    "AES_128_GCM": (128, "aead", 128),
    "AES_256_GCM": (256, "aead", 128),
    "AES_128_CCM": (128, "aead", 128),
    "AES_256_CCM": (256, "aead", 128),
    "AES_128_CCM_8": (128, "aead", 128),
    "AES_256_CCM_8": (256, "aead", 128),
    "CAMELLIA_128_GCM": (128, "aead", 128),
    "CAMELLIA_256_GCM": (256, "aead", 128),
    "ARIA_128_GCM": (128, "aead", 128),
    "ARIA_256_GCM": (256, "aead", 128),
    "CHACHA20_POLY1305": (256, "aead", 0),
    "SM4_GCM": (128, "aead", 128),
    "SM4_CCM": (128, "aead", 128),
    "AEGIS_256": (256, "aead", 128),
    "AEGIS_128L": (128, "aead", 128),
    "28147_CNT": (256, "stream", 64),  # GOST 28147-89 (Magma) in counter mode
    "KUZNYECHIK_CTR": (256, "stream", 128),
    "MAGMA_CTR": (256, "stream", 64),
    "KUZNYECHIK_MGM_L": (256, "aead", 128),
    "KUZNYECHIK_MGM_S": (256, "aead", 128),
    "MAGMA_MGM_L": (256, "aead", 64),
    "MAGMA_MGM_S": (256, "aead", 64),
}

# Trailing MAC token of a TLS 1.0-1.2 name -> MAC as recorded (longest suffix tried first).
MAC_SUFFIXES = {
    "SHA384": "SHA384",
    "SHA256": "SHA256",
    "SHA": "SHA",
    "MD5": "MD5",
    "NULL": "NULL",  # TLS_NULL_WITH_NULL_NULL
    "IMIT": "GOST89",  # GOST 28147-89 IMIT
    "GOST89MAC": "GOST89",
    "GOST89STREAM": "GOST89",
    "GOST94": "GOST94",
    "GOSTR3411": "GOST94",  # HMAC GOST R 34.11-94; GOST12 for GOSTR341112_256 suites (below)
    "OMAC": "OMAC",  # refined to KUZNYECHIKOMAC / MAGMAOMAC (below)
}

# TLS 1.3 suites: key exchange and authentication are negotiated outside the suite.
TLS13_CODES = {0x1301, 0x1302, 0x1303, 0x1304, 0x1305, 0x1306, 0x1307,  # RFC 8446, AEGIS draft
               0x00C6, 0x00C7,                                          # RFC 8998 SM4
               0xC0B4, 0xC0B5,                                          # RFC 9150 integrity-only
               0xC103, 0xC104, 0xC105, 0xC106}                          # RFC 9367 GOST
SCSV_CODES = {0x00FF, 0x5600}

# Explicit departures from the mechanical rules, each with its reason.
OVERRIDES = {
    # RFC 9189 defines these for TLS 1.2 only (their MAC is not SHA-2, so the rule says SSL 3.0).
    0xC100: {"minVersion": "tls12"},
    0xC101: {"minVersion": "tls12"},
    0xC102: {"minVersion": "tls12"},
}

# tshark knows these but the registry leaves them out on purpose: Chinese GM/T 0024 suites,
# draft-josefsson-salsa20-tls, and Thread's ECJPAKE (would need a new KeyExchange case).
OMITTED_TSHARK = set(range(0xE001, 0xE060)) | set(range(0xE410, 0xE420)) | {0xC0FF}

# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------


def read_csv_rows(path):
    with open(path, newline="") as f:
        lines = [ln for ln in f if not ln.startswith("#")]
    return list(csv.DictReader(lines))


def load_iana():
    """Assigned single code points of the IANA registry: {code: name}."""
    out = {}
    with open(os.path.join(DATA, "iana-tls-cipher-suites.csv"), newline="") as f:
        for row in csv.DictReader(f):
            value, name = row["Value"], row["Description"]
            m = re.fullmatch(r"0x([0-9A-F]{2}),0x([0-9A-F]{2})", value)
            if not m or not name.startswith("TLS_"):
                continue  # ranges, Unassigned, Reserved (GREASE, private use)
            code = int(m[1] + m[2], 16)
            assert code not in out, f"IANA lists 0x{code:04X} twice"
            out[code] = name
    return out


def load_unofficial():
    out = {}
    for row in read_csv_rows(os.path.join(DATA, "unofficial-cipher-suites.csv")):
        code = int(row["code"], 16)
        assert code not in out, f"unofficial list repeats 0x{code:04X}"
        out[code] = (row["name"], row["openssl_name"] or None)
    return out


def parse_openssl_v(text):
    """{code: name} from `openssl ciphers -V` output."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"\s*0x([0-9A-F]{2}),0x([0-9A-F]{2}) - (\S+)", line)
        if m:
            out[int(m[1] + m[2], 16)] = m[3]
    return out


def load_openssl_current():
    with open(os.path.join(DATA, "openssl-3.0-ciphers-V.txt")) as f:
        return parse_openssl_v(f.read())


def load_openssl_legacy():
    out = {}
    for row in read_csv_rows(os.path.join(DATA, "openssl-legacy-names.csv")):
        code = int(row["code"], 16)
        assert code not in out, f"legacy OpenSSL list repeats 0x{code:04X}"
        out[code] = row["openssl_name"]
    return out


def load_tshark():
    out = {}
    with open(os.path.join(DATA, "tshark-ciphersuite-values.tsv")) as f:
        for line in f:
            if line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            out[int(parts[2])] = parts[3]
    return out


# ---------------------------------------------------------------------------------------------
# Derivation
# ---------------------------------------------------------------------------------------------


@dataclass
class Suite:
    code: int
    iana_name: str
    openssl_name: Optional[str]
    key_exchange: str
    authentication: str
    cipher: str
    bits: int
    mode: str
    block_bits: int
    mac: str
    is_export: bool
    min_version: str
    max_version: str
    is_unofficial: bool


def derive(code, name, openssl_name, unofficial):
    body = re.sub(r"^(TLS|SSL)_", "", name)
    body = re.sub(r"_(OLD|LEGACY)$", "", body)  # customary suffixes that keep names unique

    if code in SCSV_CODES:
        kx, au, cipher, mac = "null", "null", "NULL", "NULL"
    elif code in TLS13_CODES:
        kx, au = "any", "any"
        if "_WITH_" in body:  # RFC 9367 GOST suites keep the TLS 1.2 shape
            cipher, mac = body.split("_WITH_", 1)[1], "AEAD"
        else:
            m = re.fullmatch(r"(SHA256|SHA384)_\1", body)
            if m:  # RFC 9150 integrity-only
                cipher, mac = "NULL", m[1]
            else:
                cipher = re.sub(r"_(SHA256|SHA384|SM3)$", "", body)
                mac = "AEAD"
    else:
        kx_part, rest = body.split("_WITH_", 1)
        assert kx_part in KEY_EXCHANGE, f"0x{code:04X} {name}: unknown key exchange {kx_part}"
        kx, au = KEY_EXCHANGE[kx_part]
        mac_token = None
        for token in sorted(MAC_SUFFIXES, key=len, reverse=True):
            if rest.endswith("_" + token):
                mac_token = token
                break
        if mac_token is None:  # AES_128_CCM, AES_128_CCM_8: no MAC token, AEAD
            cipher, mac = rest, "AEAD"
        else:
            cipher, mac = rest[: -len(mac_token) - 1], MAC_SUFFIXES[mac_token]
            if mac_token == "GOSTR3411" and kx_part == "GOSTR341112_256":
                mac = "GOST12"
            if mac_token == "OMAC":
                mac = cipher.split("_")[0] + "OMAC"

    assert cipher in CIPHERS, f"0x{code:04X} {name}: unknown cipher {cipher}"
    bits, mode, block_bits = CIPHERS[cipher]
    if mode == "aead":
        mac = "AEAD"

    if code in TLS13_CODES:
        min_v, max_v = "tls13", "tls13"
    elif mode == "aead" or mac in ("SHA256", "SHA384"):
        min_v, max_v = "tls12", "tls12"
    else:
        min_v, max_v = "sslv3", "tls12"
    min_v = OVERRIDES.get(code, {}).get("minVersion", min_v)

    return Suite(
        code=code, iana_name=name, openssl_name=openssl_name, key_exchange=kx,
        authentication=au, cipher=cipher, bits=bits, mode=mode, block_bits=block_bits, mac=mac,
        is_export="EXPORT" in name, min_version=min_v, max_version=max_v,
        is_unofficial=unofficial,
    )


def build():
    iana = load_iana()
    unofficial = load_unofficial()
    current = load_openssl_current()
    legacy = load_openssl_legacy()

    overlap = set(iana) & set(unofficial)
    assert not overlap, f"unofficial codes also in IANA: {sorted(hex(c) for c in overlap)}"
    overlap = set(current) & set(legacy)
    assert not overlap, f"legacy names given for codes OpenSSL 3.0 names: {sorted(hex(c) for c in overlap)}"
    assert set(current) <= set(iana), "OpenSSL 3.0 prints a code IANA lacks"
    assert set(legacy) <= set(iana), "legacy OpenSSL list has a code IANA lacks (put it in unofficial)"

    suites = []
    for code, name in iana.items():
        suites.append(derive(code, name, current.get(code) or legacy.get(code), False))
    for code, (name, ossl) in unofficial.items():
        suites.append(derive(code, name, ossl, True))
    suites.sort(key=lambda s: s.code)
    return suites, iana, unofficial, current


# ---------------------------------------------------------------------------------------------
# Self-check
# ---------------------------------------------------------------------------------------------


def self_check(suites, iana, unofficial, current):
    by_code = {s.code: s for s in suites}
    assert len(by_code) == len(suites), "duplicate codes"
    assert [s.code for s in suites] == sorted(by_code), "not sorted by code"
    names = [s.iana_name for s in suites]
    assert len(set(names)) == len(names), "duplicate names"
    onames = [s.openssl_name for s in suites if s.openssl_name]
    assert len(set(onames)) == len(onames), "duplicate OpenSSL names"
    assert 360 <= len(suites) <= 400, len(suites)

    def expect(code, **kv):
        s = by_code[code]
        for k, v in kv.items():
            assert getattr(s, k) == v, f"0x{code:04X}.{k} = {getattr(s, k)!r}, expected {v!r}"

    expect(0xC02F, iana_name="TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
           openssl_name="ECDHE-RSA-AES128-GCM-SHA256", key_exchange="ecdhe", authentication="rsa",
           cipher="AES_128_GCM", bits=128, mode="aead", block_bits=128, mac="AEAD",
           is_export=False, min_version="tls12", max_version="tls12", is_unofficial=False)
    expect(0x000A, iana_name="TLS_RSA_WITH_3DES_EDE_CBC_SHA", openssl_name="DES-CBC3-SHA",
           key_exchange="rsa", authentication="rsa", cipher="3DES_EDE_CBC", bits=112, mode="cbc",
           block_bits=64, mac="SHA", min_version="sslv3", max_version="tls12")
    expect(0x0003, iana_name="TLS_RSA_EXPORT_WITH_RC4_40_MD5", openssl_name="EXP-RC4-MD5",
           key_exchange="rsaExport", authentication="rsa", cipher="RC4_40", bits=40,
           mode="stream", block_bits=0, mac="MD5", is_export=True)
    expect(0x1301, iana_name="TLS_AES_128_GCM_SHA256", openssl_name="TLS_AES_128_GCM_SHA256",
           key_exchange="any", authentication="any", cipher="AES_128_GCM", mode="aead",
           min_version="tls13", max_version="tls13")
    expect(0xCCA8, iana_name="TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
           openssl_name="ECDHE-RSA-CHACHA20-POLY1305", cipher="CHACHA20_POLY1305", bits=256,
           mode="aead", block_bits=0, mac="AEAD", min_version="tls12")
    expect(0x0000, key_exchange="null", authentication="null", cipher="NULL", mac="NULL",
           mode="null", openssl_name=None)
    expect(0x00FF, iana_name="TLS_EMPTY_RENEGOTIATION_INFO_SCSV", key_exchange="null",
           authentication="null", cipher="NULL", mode="null", openssl_name=None)
    expect(0x5600, iana_name="TLS_FALLBACK_SCSV", key_exchange="null", cipher="NULL", mode="null")
    expect(0x0011, openssl_name="EXP-EDH-DSS-DES-CBC-SHA", key_exchange="dhe",
           authentication="dss", cipher="DES40_CBC", bits=40, is_export=True)
    expect(0x0016, openssl_name="EDH-RSA-DES-CBC3-SHA", key_exchange="dhe", authentication="rsa")
    expect(0x0034, openssl_name="ADH-AES128-SHA", key_exchange="dh", authentication="anonymous")
    expect(0xC00E, openssl_name="ECDH-RSA-AES128-SHA", key_exchange="ecdh", authentication="ecdh")
    expect(0x0007, openssl_name="IDEA-CBC-SHA", bits=128, block_bits=64)
    expect(0x0096, openssl_name="SEED-SHA", bits=128, block_bits=128)
    expect(0x001E, openssl_name="KRB5-DES-CBC-SHA", key_exchange="krb5", bits=56)
    expect(0x0026, cipher="DES_CBC_40", bits=40, is_export=True, key_exchange="krb5")
    expect(0x0006, cipher="RC2_CBC_40", bits=40, block_bits=64, is_export=True)
    expect(0xC01E, key_exchange="srp", authentication="srpRSA")
    expect(0x00AA, key_exchange="dhePSK", authentication="psk", mode="aead")
    expect(0xC0AA, key_exchange="dhePSK", cipher="AES_128_CCM_8", mac="AEAD")
    expect(0x00C6, iana_name="TLS_SM4_GCM_SM3", key_exchange="any", cipher="SM4_GCM",
           min_version="tls13", max_version="tls13")
    expect(0xC0B4, cipher="NULL", mac="SHA256", mode="null", min_version="tls13")
    expect(0xC100, key_exchange="gost", cipher="KUZNYECHIK_CTR", mode="stream",
           mac="KUZNYECHIKOMAC", min_version="tls12", max_version="tls12")
    expect(0xC103, key_exchange="any", cipher="KUZNYECHIK_MGM_L", mode="aead", min_version="tls13")
    expect(0x0060, openssl_name="EXP1024-RC4-MD5", key_exchange="rsaExport", cipher="RC4_56",
           bits=56, is_export=True, is_unofficial=True)
    expect(0x0063, key_exchange="dhe", authentication="dss", is_export=True, bits=56)
    expect(0xCC13, openssl_name="ECDHE-RSA-CHACHA20-POLY1305-OLD", key_exchange="ecdhe",
           cipher="CHACHA20_POLY1305", mode="aead", is_unofficial=True)
    expect(0x0080, openssl_name="GOST94-GOST89-GOST89", key_exchange="gost",
           cipher="28147_CNT", mode="stream", block_bits=64, mac="GOST89")
    expect(0xFF87, cipher="NULL", mac="GOST12", is_unofficial=True)
    expect(0xFEFF, key_exchange="rsa", cipher="3DES_EDE_CBC", bits=112, openssl_name=None)
    expect(0x001D, key_exchange="fortezza", authentication="fortezza", bits=80)

    for s in suites:
        assert s.is_unofficial == (s.code not in iana)
        assert (s.mode == "aead") == (s.mac == "AEAD"), hex(s.code)
        assert s.mode != "cbc" or s.block_bits in (64, 128), hex(s.code)
        assert s.mode != "null" or s.block_bits == 0, hex(s.code)
        assert s.mode != "stream" or s.cipher.startswith(("RC4", "28147", "KUZNYECHIK", "MAGMA"))
        assert (s.bits == 0) == (s.mode == "null"), hex(s.code)
        assert not s.is_export or s.bits <= 56, hex(s.code)
        if s.max_version == "tls13":
            assert s.key_exchange == "any" and s.min_version == "tls13"

    # Every name `openssl ciphers -V` prints maps to the same code here: first the saved output,
    # then (if this machine has openssl) a live run.
    by_openssl = {s.openssl_name: s.code for s in suites if s.openssl_name}
    outputs = [("saved", current)]
    if shutil.which("openssl"):
        try:
            live = subprocess.run(["openssl", "ciphers", "-V", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"],
                                  capture_output=True, text=True, check=True).stdout
            outputs.append(("live", parse_openssl_v(live)))
        except (OSError, subprocess.CalledProcessError):
            pass
    for label, table in outputs:
        for code, oname in table.items():
            assert by_openssl.get(oname) == code, f"{label} openssl: {oname} is 0x{code:04X}"

    # tshark agrees on names for the codes both know, and everything it knows is here or
    # deliberately left out.
    tshark = load_tshark()
    allowed_name_diffs = {0xFFE0, 0xFFE1,          # tshark repeats the FIPS names; NSS: OLDFIPS
                          0xCC13, 0xCC14, 0xCC15,  # _OLD suffix
                          0xFF85}                  # _LEGACY suffix
    for code, tname in tshark.items():
        if tname.startswith("Reserved (GREASE)") or code in OMITTED_TSHARK:
            continue
        assert code in by_code, f"tshark knows 0x{code:04X} {tname}, registry does not"
        if code not in allowed_name_diffs:
            assert by_code[code].iana_name == tname, f"0x{code:04X}: {by_code[code].iana_name} vs tshark {tname}"


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------


def swift_string(s):
    return "nil" if s is None else '"' + s + '"'


CHUNK = 32  # one 378-element literal takes swiftc ~10 s to type-check; 32-element ones ~0.1 s


def render(suites):
    lines = [
        "// Generated by scripts/gen-cipher-registry.py — do not edit",
        "// Sources: IANA TLS Cipher Suites registry (scripts/data/iana-tls-cipher-suites.csv),",
        "// legacy/draft/vendor code points (scripts/data/unofficial-cipher-suites.csv), OpenSSL names",
        "// (scripts/data/openssl-3.0-ciphers-V.txt, scripts/data/openssl-legacy-names.csv).",
        f"// {len(suites)} entries, sorted by code: {sum(not s.is_unofficial for s in suites)} IANA, "
        f"{sum(s.is_unofficial for s in suites)} unofficial.",
        "// Split into small literals because one large array literal is slow to type-check.",
        "",
        "extension CipherSuiteInfo {",
    ]
    chunks = [suites[i:i + CHUNK] for i in range(0, len(suites), CHUNK)]
    names = [f"chunk{i:02d}" for i in range(len(chunks))]
    lines.append("    static let registryData: [CipherSuiteInfo] = Array([")
    for i in range(0, len(names), 6):
        lines.append("        " + ", ".join(names[i:i + 6]) + ",")
    lines.append("    ].joined())")
    for name, chunk in zip(names, chunks):
        lines.append("")
        lines.append(f"    // 0x{chunk[0].code:04X} - 0x{chunk[-1].code:04X}")
        lines.append(f"    private static let {name}: [CipherSuiteInfo] = [")
        for s in chunk:
            lines.append(
                f"        CipherSuiteInfo(code: 0x{s.code:04X}, ianaName: {swift_string(s.iana_name)}, "
                f"opensslName: {swift_string(s.openssl_name)}, keyExchange: .{s.key_exchange}, "
                f"authentication: .{s.authentication}, cipher: {swift_string(s.cipher)}, bits: {s.bits}, "
                f"mode: .{s.mode}, blockBits: {s.block_bits}, mac: {swift_string(s.mac)}, "
                f"isExport: {'true' if s.is_export else 'false'}, minVersion: .{s.min_version}, "
                f"maxVersion: .{s.max_version}, isUnofficial: {'true' if s.is_unofficial else 'false'}),"
            )
        lines.append("    ]")
    lines += ["}", ""]
    return "\n".join(lines)


def main():
    suites, iana, unofficial, current = build()
    self_check(suites, iana, unofficial, current)
    text = render(suites)
    if "--check" in sys.argv[1:]:
        with open(OUT) as f:
            if f.read() != text:
                sys.exit(f"{os.path.relpath(OUT, ROOT)} is out of date: run scripts/gen-cipher-registry.py")
        print(f"{os.path.relpath(OUT, ROOT)} is up to date ({len(suites)} entries)")
        return
    with open(OUT, "w") as f:
        f.write(text)
    print(f"wrote {os.path.relpath(OUT, ROOT)}: {len(suites)} entries "
          f"({sum(not s.is_unofficial for s in suites)} IANA, {sum(s.is_unofficial for s in suites)} unofficial)")


if __name__ == "__main__":
    main()
