import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateGroupSchema, GroupParamsSchema, GroupParticipantsSchema, UpdateGroupSchema } from '../../src/http/groups-schemas.js';
import { SessionGroups } from '../../src/sessions/session-groups.js';
import type { Session } from '../../src/sessions/session.js';
import { SandboxGroupBook } from '../../src/sandbox/sandbox-groups.js';
import { AppError } from '../../src/shared/errors.js';
import { FakeWaClient } from '../fakes/fake-wa-client.js';

const code = (error: unknown) => (error instanceof AppError ? `${error.status} ${error.code}` : String(error));

test('participant changes take exactly one action, with contact ids by the chat-id rules', () => {
  assert.deepEqual(GroupParticipantsSchema.parse({ add: ['+15550000201', '15550000202@c.us', '123456789012345@lid'] }), {
    action: 'add',
    ids: ['15550000201@c.us', '15550000202@c.us', '123456789012345@lid'],
  });
  assert.deepEqual(GroupParticipantsSchema.parse({ demote: ['15550000201'] }), { action: 'demote', ids: ['15550000201@c.us'] });
  for (const bad of [{}, { add: ['15550000201'], remove: ['15550000202'] }, { add: [] }, { add: ['120363000000000000@g.us'] }, { add: ['x'] }, { kick: ['15550000201'] }]) {
    assert.equal(GroupParticipantsSchema.safeParse(bad).success, false, JSON.stringify(bad));
  }
});

test('group ids must be chat ids ending in @g.us; create and update bodies', () => {
  assert.equal(GroupParamsSchema.safeParse({ id: 's1', groupId: '120363000000000000@g.us' }).success, true);
  assert.equal(GroupParamsSchema.safeParse({ id: 's1', groupId: '15550000201-1600000000@g.us' }).success, true);
  for (const groupId of ['15550000201@c.us', '15550000201', 'abc@g.us', '120363000000000000@g.us.evil']) {
    assert.equal(GroupParamsSchema.safeParse({ id: 's1', groupId }).success, false, groupId);
  }
  assert.deepEqual(CreateGroupSchema.parse({ name: ' Support ' }), { name: 'Support', participants: [] });
  assert.equal(CreateGroupSchema.safeParse({ name: '' }).success, false);
  assert.equal(CreateGroupSchema.safeParse({ name: 'x', participants: ['1@g.us'] }).success, false);
  assert.equal(UpdateGroupSchema.safeParse({}).success, false);
  assert.equal(UpdateGroupSchema.safeParse({ description: '' }).success, true);
});

function sessionWith(client: FakeWaClient | undefined, status: string): Session {
  return { id: 's1', client, status: { status }, lastActivityAt: 0 } as unknown as Session;
}

test('group commands answer 409 with the status unless the session is WORKING, 404 for an unknown group', async () => {
  const client = new FakeWaClient({} as never, 1);
  const starting = sessionWith(client, 'SCAN_QR_CODE');
  const groups = new SessionGroups({ get: () => starting }, () => 42);
  await assert.rejects(groups.list('s1'), (error: unknown) => {
    assert.equal(code(error), '409 SESSION_NOT_READY');
    assert.deepEqual((error as AppError).details, { status: 'SCAN_QR_CODE' });
    return true;
  });
  assert.equal(client.groups.size, 0);

  const working = sessionWith(client, 'WORKING');
  const ready = new SessionGroups({ get: () => working }, () => 42);
  const created = await ready.create('s1', 'Support', ['15550000201@c.us']);
  assert.equal(working.lastActivityAt, 42);
  assert.equal((await ready.get('s1', created.id)).subject, 'Support');
  await assert.rejects(ready.get('s1', '120363999999999999@g.us'), (error: unknown) => code(error) === '404 GROUP_NOT_FOUND');
});

test('a command that fails because the session stopped meanwhile is a 409, not a 500', async () => {
  const client = new FakeWaClient({} as never, 1);
  const session = sessionWith(client, 'WORKING');
  client.getGroups = async () => {
    (session as unknown as { status: { status: string } }).status.status = 'STOPPED';
    throw new Error('Protocol error: Target closed');
  };
  await assert.rejects(new SessionGroups({ get: () => session }).list('s1'), (error: unknown) => code(error) === '409 SESSION_NOT_READY');
});

test("the sandbox phone's group book checks admins and reports what changed", () => {
  const book = new SandboxGroupBook();
  const me = '15550000101@c.us';
  const alice = '15550000201@c.us';
  const { group, results } = book.create(me, 'Support', [alice, me]);
  assert.deepEqual(results, [{ id: alice, code: 200 }]);
  assert.deepEqual(group.participants, [{ id: me, admin: 'superadmin' }, { id: alice, admin: null }]);
  assert.throws(() => book.participants(alice, group.id, 'add', ['15550000202@c.us']), (error: unknown) => code(error) === '409 SANDBOX_NOT_AN_ADMIN');
  const added = book.participants(me, group.id, 'add', [alice, '15550000202@c.us']);
  assert.deepEqual(added.results.map((r) => r.code), [409, 200]);
  assert.deepEqual(added.notifications.map((n) => [n.subtype, n.author, n.recipients]), [['add', me, ['15550000202@c.us']]]);
  assert.deepEqual(book.participants(me, group.id, 'demote', [me]).results, [{ id: me, code: 403 }]);
  const left = book.leave(me, group.id);
  assert.deepEqual(left.notifications.map((n) => [n.subtype, n.recipients]), [['leave', [me]]]);
  assert.throws(() => book.inviteCode(me, group.id), (error: unknown) => code(error) === '409 SANDBOX_NOT_A_MEMBER');
  assert.throws(() => book.get('1@g.us'), (error: unknown) => code(error) === '404 SANDBOX_GROUP_NOT_FOUND');
});
