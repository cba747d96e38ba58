// A real OpenID Connect provider on loopback for the sign-in browser test (test only).
// Usage: node provider.js PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI
// Accounts: the login name typed on the provider's own (development) sign-in form. Known ones
// carry a verified email; "uma" has an unverified one. Any other login is refused.
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
if (!port || !clientId || !clientSecret || !redirectUri) {
  console.error('usage: node provider.js PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI');
  process.exit(2);
}

const ACCOUNTS = {
  ann: { email: 'ann@example.com', email_verified: true, name: 'Ann' },
  bob: { email: 'bob@example.com', email_verified: true, name: 'Bob' },
  uma: { email: 'uma@example.com', email_verified: false, name: 'Uma' },
};

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    post_logout_redirect_uris: [redirectUri], // where Streamlit's sign-out returns
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  conformIdTokenClaims: false, // the email goes into the ID token, which Streamlit reads
  findAccount: async (ctx, id) => (ACCOUNTS[id]
    ? { accountId: id, claims: async () => ({ sub: id, ...ACCOUNTS[id] }) }
    : undefined),
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => false },
  cookies: { keys: ['signoff-test-only-cookie-key'] },
});
provider.proxy = false;

provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`oidc-provider listening on http://127.0.0.1:${port}`);
});
