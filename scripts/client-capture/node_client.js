// One HTTPS GET with Node's https module. Usage: node node_client.js (default|tls1.0|tls1.1) URL
// The legacy modes set minVersion and maxVersion on the request, as code talking to an old server does.
const https = require('https');
const http = require('http');
const [mode, url] = process.argv.slice(2);
const options = {
    default: {},
    'tls1.0': { minVersion: 'TLSv1', maxVersion: 'TLSv1' },
    'tls1.1': { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1' },
}[mode];
if (!options) { console.error('unknown mode ' + mode); process.exit(2); }
const client = url.startsWith('https:') ? https : http;
const request = client.get(url, url.startsWith('https:') ? options : {}, (response) => {
    response.resume();
    response.on('end', () => process.exit(0));
});
request.setTimeout(10000, () => request.destroy(new Error('timeout')));
// The capture listener closes the connection after the ClientHello: expected.
request.on('error', (error) => { console.error(String(error)); process.exit(1); });
