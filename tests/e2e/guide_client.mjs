// The API guide's JavaScript client (auth-api-guide.fa.md), run by tests/e2e/test_local_stack.py
// against a real server. authenticateUser below is the guide's code, unchanged but for the URL.
//
// Usage: AUTH_API_URL=http://127.0.0.1:3000/api/auth/client/ node guide_client.mjs USERNAME PASSWORD [SERVER_URL]
// Prints one JSON line: {"ok": true, "room", "serverUrl", "result"} or {"ok": false, "message"}.

const API_URL = process.env.AUTH_API_URL;

async function authenticateUser(username, password, serverUrl) {
  try {
    const response = await fetch(API_URL, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({
        username,
        password,
        server_url: serverUrl,
      }),
    });

    const data = await response.json();
    
    if (!response.ok) {
      throw new Error(data.error || 'خطا در احراز هویت');
    }
    
    return data;
  } catch (error) {
    console.error('Error:', error);
    throw error;
  }
}

// As the guide's example does: log in, then take the first channel's token and room.
const [username, password, serverUrl] = process.argv.slice(2);
try {
  const result = await authenticateUser(username, password, serverUrl);
  const tokens = result.tokens;
  const firstChannelId = Object.keys(tokens)[0];
  const channelInfo = tokens[firstChannelId];
  console.log(JSON.stringify({ ok: true, room: channelInfo.room, serverUrl: result.server_url, result }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, message: error.message }));
}
