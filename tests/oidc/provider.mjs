// A real OpenID Connect provider on loopback for Govern's tests and `make run`: panva's
// oidc-provider (OpenID Certified), with its development sign-in pages.
//
//   node tests/oidc/provider.mjs PORT CONFIG.json
//
// CONFIG: {"clients": [{client_id, client_secret, redirect_uris}], "accounts": {"colin":
// {"groups": [...], "email": ..., "name": ...}}, "jwks": {"keys": [private JWKs]}} (without
// jwks, oidc-provider's own development keys sign). Any account name signs in with
// any password (the development pages); an account not listed has no groups. Prints "ready"
// once it listens. ID tokens carry the profile, email and groups claims themselves, and
// auth_time always; consent is taken as given (Govern is the provider's own application).
import { readFileSync } from "node:fs";
import Provider from "oidc-provider";

const [port, configPath] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configPath, "utf8"));
const accounts = config.accounts ?? {};
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: config.clients.map((client) => ({
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
    require_auth_time: true,
    ...client,
  })),
  claims: {
    openid: ["sub", "auth_time", "amr", "acr"],
    profile: ["name", "preferred_username"],
    email: ["email"],
    groups: ["groups"],
  },
  scopes: ["openid", "profile", "email", "groups"],
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ["govern-test-provider-only"] },
  ...(config.jwks ? { jwks: config.jwks } : {}),
  async findAccount(ctx, id) {
    const known = accounts[id] ?? {};
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          preferred_username: id,
          name: known.name ?? id,
          email: known.email ?? `${id}@bank.example`,
          groups: known.groups ?? [],
        };
      },
    };
  },
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope("openid profile email groups");
    grant.addOIDCClaims(["auth_time", "amr", "acr"]);
    await grant.save();
    return grant;
  },
});

provider.on("server_error", (ctx, error) => console.error("server_error", error));
provider.listen(Number(port), "127.0.0.1", () => console.log("ready"));
