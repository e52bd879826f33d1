// Run by compat.test.mjs in its own process, so NODE_EXTRA_CA_CERTS can name the mock's freshly
// written certificate: subscribes with Amplify JS v6 exactly as an app would, creates a todo,
// prints the event it receives, and exits.
import { readFileSync } from 'node:fs';
import { Amplify } from 'aws-amplify';
import { generateClient } from 'aws-amplify/api';

const [outputsPath, authMode] = process.argv.slice(2);
Amplify.configure(JSON.parse(readFileSync(outputsPath, 'utf8')));
const client = generateClient();
const timer = setTimeout(() => { console.error('no event within 15 s'); process.exit(2); }, 15000);
const options = authMode === 'lambda' ? { authMode: 'lambda', authToken: 'mock-lambda-allow' } : {};
const subscription = client.graphql({
  query: 'subscription OnCreate { onCreateTodo { id name } }',
  ...options,
}).subscribe({
  next: ({ data }) => {
    console.log(JSON.stringify(data));
    clearTimeout(timer);
    subscription.unsubscribe();
    setTimeout(() => process.exit(0), 100);
  },
  error: (e) => { console.error('subscription error', JSON.stringify(e)); process.exit(1); },
});
// Amplify has no "started" callback on this API: give the start_ack a moment, then mutate.
setTimeout(async () => {
  await client.graphql({
    query: 'mutation C($input: CreateTodoInput!) { createTodo(input: $input) { id name } }',
    variables: { input: { name: `via amplify realtime (${authMode})` } },
  });
}, 1500);
