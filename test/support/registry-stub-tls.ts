/**
 * A self-signed certificate for 127.0.0.1 (valid 2000-9999) and its key, made for the registry
 * client's TLS unit tests only: the stub serves HTTPS with it, and a client trusts it through `ca`.
 */
export const TEST_TLS = {
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg9AkYcImJDUemHlkE
YmezfUBoj/1+osM8GdbIhjT6JCihRANCAAQUulckzCi7i+3TB34IX8YBW8t1HSOP
I7FKwaKkeOqJh+5a6LAXHaLPtqWX9CVz/P/Qukpvi//wNIVRlTeDZkUo
-----END PRIVATE KEY-----
`,
  cert: `-----BEGIN CERTIFICATE-----
MIIBZTCCAQqgAwIBAgIBATAKBggqhkjOPQQDAjAYMRYwFAYDVQQDDA1yZWdpc3Ry
eS10ZXN0MCAXDTAwMDEwMTAwMDAwMFoYDzk5OTkxMjMxMjM1OTU5WjAYMRYwFAYD
VQQDDA1yZWdpc3RyeS10ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEFLpX
JMwou4vt0wd+CF/GAVvLdR0jjyOxSsGipHjqiYfuWuiwFx2iz7all/Qlc/z/0LpK
b4v/8DSFUZU3g2ZFKKNDMEEwDwYDVR0RBAgwBocEfwAAATAPBgNVHRMBAf8EBTAD
AQH/MB0GA1UdDgQWBBR1YcJryQiIQHNKcKfqg3jDClMq2zAKBggqhkjOPQQDAgNJ
ADBGAiEA+uzoqA87p2In6UzwrDBM/jPJ5UlAeQOuOx5WH2QpP4sCIQDU2aWPc7zU
wngUF1lbf6gQRwmsyMoQJCgWZBUrnlfKjg==
-----END CERTIFICATE-----
`,
};
