import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess, linkSession, pollUntil, waitForStatus } from './harness.js';

/**
 * Groups end to end: the real server, the unmodified whatsapp-web.js in a real Chromium, and the sandbox
 * playing WhatsApp's group server and the phone.
 */

const SESSION = 'grp1';
const ME = '15550000101@c.us';
const ALICE = '15550000201@c.us';
const BOB = '15550000202@c.us';
const CAROL = '15550000203@c.us';
const DAVE = '15550000204@c.us';

interface Participant {
  id: string;
  isAdmin: boolean;
  isSuperAdmin: boolean;
}
interface Group {
  id: string;
  subject: string;
  description: string;
  owner?: string;
  participants: Participant[];
}
interface Envelope {
  id: string;
  event: string;
  payload: Record<string, unknown>;
}

describe('groups (real server, Chromium, sandbox)', () => {
  let server: ServerProcess;
  let groupId = '';
  const route = (suffix = '') => `/api/v1/sessions/${SESSION}/groups${suffix}`;
  const group = async () => {
    const response = await server.api<Group>('GET', route(`/${groupId}`));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body;
  };
  const participant = (g: Group, id: string) => g.participants.find((p) => p.id === id);
  /** Polls the session's event log until an event matches; returns it. */
  const waitForEvent = async (type: string, match: (payload: Record<string, unknown>) => boolean): Promise<Envelope> => {
    let found: Envelope | undefined;
    await pollUntil(
      async () => {
        const { body } = await server.api<{ events: Envelope[] }>('GET', `/api/v1/sessions/${SESSION}/events?limit=1000`);
        found = body.events.find((event) => event.event === type && match(event.payload));
        return found !== undefined;
      },
      { what: `a ${type} event`, timeoutMs: 20_000 },
    );
    return found as Envelope;
  };

  before(async () => {
    server = await ServerProcess.start();
    await linkSession(server, SESSION, ME.split('@')[0] as string);
  });
  after(async () => {
    // the fake page throws on a module it does not provide: none may have been asked for
    const missing = server?.fullLogs().match(/asked for module \w+/g) ?? [];
    await server?.cleanup();
    assert.deepEqual(missing, [], 'whatsapp-web.js asked for modules the sandbox does not provide');
  });

  test('a group created through the API lists its participants with admin flags, here and on the phone', async () => {
    const created = await server.api<{ id: string; subject: string; participants: { id: string; ok: boolean; code: number }[] }>(
      'POST',
      route(),
      { name: 'Support', participants: ['15550000201', BOB] },
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.match(created.body.id, /^\d+@g\.us$/);
    assert.equal(created.body.subject, 'Support');
    assert.deepEqual(
      created.body.participants.map((p) => [p.id, p.ok, p.code]).sort(),
      [[ALICE, true, 200], [BOB, true, 200]],
    );
    groupId = created.body.id;

    const one = await group();
    assert.equal(one.subject, 'Support');
    assert.equal(one.owner, ME);
    assert.deepEqual(participant(one, ME), { id: ME, isAdmin: true, isSuperAdmin: true });
    assert.deepEqual(participant(one, ALICE), { id: ALICE, isAdmin: false, isSuperAdmin: false });
    assert.deepEqual(participant(one, BOB), { id: BOB, isAdmin: false, isSuperAdmin: false });
    assert.equal(one.participants.length, 3);

    const list = await server.api<{ groups: Group[] }>('GET', route());
    assert.equal(list.status, 200);
    const listed = list.body.groups.find((g) => g.id === groupId);
    assert.ok(listed, 'the new group is listed');
    assert.equal(listed.participants.length, 3);

    const phone = await server.api<{ groups: { id: string; participants: { id: string }[] }[] }>('GET', `/api/v1/sessions/${SESSION}/sandbox/groups`);
    assert.deepEqual(phone.body.groups.find((g) => g.id === groupId)?.participants.map((p) => p.id).sort(), [ME, ALICE, BOB].sort());
  });

  test('subject and description change', async () => {
    const changed = await server.api<Group>('PUT', route(`/${groupId}`), { subject: 'Support desk', description: 'Where customers get help' });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal(changed.body.subject, 'Support desk');
    assert.equal(changed.body.description, 'Where customers get help');
    const read = await group();
    assert.equal(read.subject, 'Support desk');
    assert.equal(read.description, 'Where customers get help');
    const onlyDescription = await server.api<Group>('PUT', route(`/${groupId}`), { description: 'Ask us anything' });
    assert.equal(onlyDescription.body.subject, 'Support desk');
    assert.equal((await group()).description, 'Ask us anything');
  });

  test('promote and demote are reflected in the admin flags', async () => {
    const promoted = await server.api<{ action: string; results: { id: string; ok: boolean; code: number }[]; group: Group }>(
      'POST',
      route(`/${groupId}/participants`),
      { promote: [ALICE, DAVE] },
    );
    assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
    assert.equal(promoted.body.action, 'promote');
    assert.deepEqual(promoted.body.results.map((r) => [r.id, r.ok, r.code]), [[ALICE, true, 200], [DAVE, false, 404]]);
    assert.equal(participant(await group(), ALICE)?.isAdmin, true);

    const demoted = await server.api<{ results: { id: string; ok: boolean }[] }>('POST', route(`/${groupId}/participants`), { demote: [ALICE] });
    assert.equal(demoted.status, 200);
    assert.deepEqual(demoted.body.results.map((r) => [r.id, r.ok]), [[ALICE, true]]);
    assert.equal(participant(await group(), ALICE)?.isAdmin, false);
  });

  test('add and remove through the API', async () => {
    const added = await server.api<{ results: { id: string; ok: boolean; code: number }[]; group: Group }>(
      'POST',
      route(`/${groupId}/participants`),
      { add: [CAROL, BOB] },
    );
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.deepEqual(added.body.results.map((r) => [r.id, r.ok, r.code]), [[CAROL, true, 200], [BOB, false, 409]]);
    assert.ok(participant(await group(), CAROL));
    const removed = await server.api<{ results: { id: string; ok: boolean }[] }>('POST', route(`/${groupId}/participants`), { remove: [CAROL] });
    assert.equal(removed.status, 200);
    assert.deepEqual(removed.body.results.map((r) => [r.id, r.ok]), [[CAROL, true]]);
    assert.equal(participant(await group(), CAROL), undefined);
  });

  test('a participant the phone adds is a group.join event, one it removes a group.leave event', async () => {
    // Alice, made admin, adds Dave from her phone; then the account's own phone removes him
    assert.equal((await server.api('POST', route(`/${groupId}/participants`), { promote: [ALICE] })).status, 200);
    const add = await server.api('POST', `/api/v1/sessions/${SESSION}/sandbox/groups/${groupId}/participants`, { add: [DAVE], author: ALICE });
    assert.equal(add.status, 200, JSON.stringify(add.body));
    const join = await waitForEvent('group.join', (p) => p.chatId === groupId && (p.recipientIds as string[]).includes(DAVE));
    assert.equal(join.payload.authorId, ALICE);
    assert.deepEqual(join.payload.recipientIds, [DAVE]);
    await pollUntil(async () => participant(await group(), DAVE) !== undefined, { what: 'Dave listed in the group' });

    const remove = await server.api('POST', `/api/v1/sessions/${SESSION}/sandbox/groups/${groupId}/participants`, { remove: ['15550000204'] });
    assert.equal(remove.status, 200, JSON.stringify(remove.body));
    const leave = await waitForEvent('group.leave', (p) => p.chatId === groupId && (p.recipientIds as string[]).includes(DAVE));
    assert.equal(leave.payload.authorId, ME);
    assert.ok(leave.id > join.id, 'the leave comes after the join');
    assert.equal(participant(await group(), DAVE), undefined);
  });

  test('the invite code and link', async () => {
    const invite = await server.api<{ id: string; code: string; link: string }>('GET', route(`/${groupId}/invite`));
    assert.equal(invite.status, 200, JSON.stringify(invite.body));
    assert.match(invite.body.code, /^[A-Za-z0-9]{20,}$/);
    assert.equal(invite.body.link, `https://chat.whatsapp.com/${invite.body.code}`);
    assert.equal((await server.api<{ code: string }>('GET', route(`/${groupId}/invite`))).body.code, invite.body.code);
  });

  test('bad ids and bodies are a 400 JSON; an unknown group is a 404', async () => {
    const cases: [string, string, unknown?][] = [
      ['GET', route('/not-a-group')],
      ['GET', route(`/${ALICE}`)],
      ['POST', route(), { name: 'x', participants: ['nobody'] }],
      ['POST', route(), { name: 'x', participants: [groupId] }],
      ['POST', route(), { participants: [ALICE] }],
      ['POST', route(`/${groupId}/participants`), { add: [ALICE], remove: [BOB] }],
      ['POST', route(`/${groupId}/participants`), {}],
      ['POST', route(`/${groupId}/participants`), { promote: ['abc'] }],
      ['PUT', route(`/${groupId}`), {}],
      ['POST', `/api/v1/sessions/${SESSION}/sandbox/groups/${groupId}/participants`, { add: ['1@x'] }],
    ];
    for (const [method, path, body] of cases) {
      const response = await server.api<{ error: { code: string; message: string } }>(method, path, body);
      assert.equal(response.status, 400, `${method} ${path} ${JSON.stringify(body)} -> ${response.status} ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error.code, 'INVALID_INPUT');
    }
    const unknown = await server.api<{ error: { code: string } }>('GET', route('/120363999999999999@g.us'));
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'GROUP_NOT_FOUND');
    const unknownInvite = await server.api<{ error: { code: string } }>('GET', route('/120363999999999998@g.us/invite'));
    assert.equal(unknownInvite.status, 404);
  });

  test('a group another member creates with the account in it is the session\'s group too', async () => {
    const creator = '15557779901@c.us';
    const created = await server.api<{ group: { id: string } }>('POST', `/api/v1/sessions/${SESSION}/sandbox/groups`, {
      subject: 'Neighbours',
      creator,
      participants: ['15557779902@c.us'],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const theirs = created.body.group.id;
    let listed: Group | undefined;
    await pollUntil(
      async () => {
        listed = (await server.api<{ groups?: Group[] }>('GET', route())).body.groups?.find((g) => g.id === theirs);
        return listed !== undefined;
      },
      { what: 'the group the phone was added to, in the session\'s groups' },
    );
    const fetched = await server.api<Group>('GET', route(`/${theirs}`));
    assert.equal(fetched.body.subject, 'Neighbours');
    assert.deepEqual(participant(fetched.body, creator), { id: creator, isAdmin: true, isSuperAdmin: true });
    assert.deepEqual(participant(fetched.body, ME), { id: ME, isAdmin: false, isSuperAdmin: false });
    const sent = await server.api('POST', `/api/v1/sessions/${SESSION}/send-text`, { chatId: theirs, content: 'hi neighbours' });
    assert.equal(sent.status, 201, `the session can write in it: ${JSON.stringify(sent.body)}`);
  });

  test('the groups come back after the browser restarts (the phone remembers them)', async () => {
    assert.equal((await server.api('POST', `/api/v1/sessions/${SESSION}/stop`)).status, 200);
    assert.equal((await server.api('POST', `/api/v1/sessions/${SESSION}/start`)).status, 202);
    await waitForStatus(server, SESSION, 'WORKING');
    await pollUntil(
      async () => {
        const response = await server.api<{ groups?: Group[] }>('GET', route());
        return response.status === 200 && (response.body.groups ?? []).some((g) => g.id === groupId && g.subject === 'Support desk');
      },
      { what: 'the group listed again after the restart' },
    );
    assert.deepEqual(participant(await group(), ALICE), { id: ALICE, isAdmin: true, isSuperAdmin: false });
  });

  test('leave: the account is no longer a participant, and the session reports it', async () => {
    const left = await server.api('POST', route(`/${groupId}/leave`));
    assert.equal(left.status, 200, JSON.stringify(left.body));
    assert.deepEqual(left.body, { id: groupId, left: true });
    await waitForEvent('group.leave', (p) => p.chatId === groupId && p.authorId === ME && (p.recipientIds as string[]).includes(ME));
    assert.equal(participant(await group(), ME), undefined);
    const phone = await server.api<{ groups: { id: string; participants: { id: string }[] }[] }>('GET', `/api/v1/sessions/${SESSION}/sandbox/groups`);
    assert.equal(phone.body.groups.find((g) => g.id === groupId)?.participants.some((p) => p.id === ME), false);
    const refused = await server.api<{ error: { code: string } }>('POST', route(`/${groupId}/participants`), { add: [CAROL] });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'GROUP_ACTION_REFUSED');
  });

  test('409 with the status when the session is not WORKING', async () => {
    assert.equal((await server.api('POST', `/api/v1/sessions/${SESSION}/stop`)).status, 200);
    const calls: [string, string, unknown?][] = [
      ['GET', route()],
      ['POST', route(), { name: 'Later', participants: [ALICE] }],
      ['GET', route(`/${groupId}`)],
      ['PUT', route(`/${groupId}`), { subject: 'x' }],
      ['POST', route(`/${groupId}/participants`), { add: [ALICE] }],
      ['GET', route(`/${groupId}/invite`)],
      ['POST', route(`/${groupId}/leave`)],
    ];
    for (const [method, path, body] of calls) {
      const response = await server.api<{ error: { code: string; details: { status: string } } }>(method, path, body);
      assert.equal(response.status, 409, `${method} ${path} -> ${response.status}`);
      assert.equal(response.body.error.code, 'SESSION_NOT_READY');
      assert.equal(response.body.error.details.status, 'STOPPED');
    }
    const unknownSession = await server.api('GET', '/api/v1/sessions/nobody/groups');
    assert.equal(unknownSession.status, 404);
  });
});
