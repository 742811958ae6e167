import { Channel } from '@tauri-apps/api/core';
import { afterEach, describe, expect, it } from 'vitest';
import { api, errorMessage, type ImportEvent } from '../src/api';
import { emit, fakeBackend, reset } from './helpers';

afterEach(reset);

describe('api module', () => {
  it('sends each command with its exact name and camelCase arguments', async () => {
    const calls = fakeBackend(() => null);
    await api.analyze('hello');
    await api.conversationGet(4);
    await api.conversationExport(4, 'md');
    await api.conversationDelete(4);
    await api.kbList(50, 100);
    await api.kbSearch('forgot password', 10);
    await api.kbGet(12);
    await api.kbSave('a.md', 'A', 'body', 'markdown');
    await api.kbDelete(3);
    await api.inboxImport('{"text":"hi"}', 'mail.jsonl');
    await api.inboxSetHandled(9, true);
    await api.intentsAdd('missing_delivery', '', 0.7, ['where is my parcel']);
    await api.intentsRemove('missing_delivery');
    await api.intentsTest('my order');
    await api.status(100);
    await api.settingsApply({ variant: 'int8', provider: 'cuda', threads: 2, database: '/d.db', model_dir: '/m' });
    expect(calls.map((c) => c.cmd)).toEqual([
      'analyze', 'conversation_get', 'conversation_export', 'conversation_delete', 'kb_list', 'kb_search', 'kb_get', 'kb_save',
      'kb_delete', 'inbox_import', 'inbox_set_handled', 'intents_add', 'intents_remove', 'intents_test', 'status', 'settings_apply',
    ]);
    expect(calls[0].args).toEqual({ text: 'hello' });
    expect(calls[2].args).toEqual({ id: 4, format: 'md' });
    expect(calls[4].args).toEqual({ limit: 50, offset: 100 });
    expect(calls[6].args).toEqual({ key: '12' }); // kb_get takes a string key (id or path)
    expect(calls[7].args).toEqual({ path: 'a.md', title: 'A', body: 'body', format: 'markdown' });
    expect(calls[9].args).toEqual({ content: '{"text":"hi"}', source: 'mail.jsonl' });
    expect(calls[11].args).toEqual({ name: 'missing_delivery', description: '', urgency: 0.7, examples: ['where is my parcel'] });
    expect(calls[14].args).toEqual({ recent: 100 });
    expect(calls[15].args.settings).toEqual({ variant: 'int8', provider: 'cuda', threads: 2, database: '/d.db', model_dir: '/m' });
  });

  it('commands without arguments send none', async () => {
    const calls = fakeBackend(() => []);
    await api.conversationsList();
    await api.kbStats();
    await api.intentsList();
    await api.intentsBuiltin();
    await api.settingsGet();
    await api.modelsList();
    expect(calls.map((c) => c.cmd)).toEqual(['conversations_list', 'kb_stats', 'intents_list', 'intents_builtin', 'settings_get', 'models_list']);
    for (const c of calls) expect(c.args).toEqual({});
  });

  it('fills every InboxFilter field (snake_case) for inbox_list', async () => {
    const calls = fakeBackend(() => []);
    await api.inboxList({ sentiment: 'negative' });
    expect(calls[0].cmd).toBe('inbox_list');
    expect(calls[0].args.filter).toEqual({ intent: null, sentiment: 'negative', include_handled: false, limit: null, offset: null });
  });

  it('passes a Channel for streaming commands and delivers its events in index order', async () => {
    const events: ImportEvent[] = [
      { type: 'started', root: '/kb', files: 2 },
      { type: 'file', path: 'a.md', index: 1, total: 2, status: { status: 'imported', articles: 1, unchanged: 0, passages: 3 } },
      { type: 'file', path: 'b.md', index: 2, total: 2, status: { status: 'failed', error: 'bad utf-8' } },
    ];
    const summary = { files: 2, imported_articles: 1, unchanged_articles: 0, passages: 3, failed: [{ path: 'b.md', error: 'bad utf-8' }], elapsed_ms: 5 };
    const calls = fakeBackend((cmd, args) => {
      expect(cmd).toBe('kb_import');
      expect(args.dir).toBe('/kb');
      expect(args.onEvent).toBeInstanceOf(Channel);
      emit(args.onEvent, events, { order: [2, 0, 1] }); // out of order on the wire
      return summary;
    });
    const got: ImportEvent[] = [];
    const result = await api.kbImport('/kb', (e) => got.push(e));
    expect(calls).toHaveLength(1);
    expect(result).toEqual(summary);
    expect(got).toEqual(events);
  });

  it('rejects with the core error string, which errorMessage shows as is', async () => {
    fakeBackend(() => {
      throw 'the model file is missing: /m/model.onnx';
    });
    const err = await api.analyze('x').catch((e) => e);
    expect(err).toBe('the model file is missing: /m/model.onnx');
    expect(errorMessage(err)).toBe('the model file is missing: /m/model.onnx');
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage({ message: 'obj' })).toBe('obj');
  });
});
