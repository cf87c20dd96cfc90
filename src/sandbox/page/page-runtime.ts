/**
 * Page-side JavaScript (runs in Chromium, never in Node): Backbone-like events, models and collections,
 * Wid and MsgKey. Kept as plain text so no bundler helper (esbuild's __name) can leak into the page.
 * Rules for this text: no backticks, no "${", ES2020 is fine.
 */
export const PAGE_RUNTIME_JS = String.raw`
function hidden(obj, key, value) {
  Object.defineProperty(obj, key, { value: value, writable: true, configurable: true, enumerable: false });
}
function randomHex(bytes) {
  var out = '';
  var arr = crypto.getRandomValues(new Uint8Array(bytes));
  for (var i = 0; i < arr.length; i++) out += arr[i].toString(16).padStart(2, '0');
  return out;
}
function randomBytes(n) { return crypto.getRandomValues(new Uint8Array(n)); }
function b64(bytes) {
  var s = '';
  for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s);
}
function unb64(text) {
  var s = atob(text);
  var out = new Uint8Array(s.length);
  for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
function nowSeconds() { return Math.floor(Date.now() / 1000); }

class Emitter {
  constructor() { hidden(this, '_events', new Map()); }
  on(names, fn, ctx) { return this._add(names, fn, ctx, false); }
  once(names, fn, ctx) { return this._add(names, fn, ctx, true); }
  _add(names, fn, ctx, once) {
    if (typeof fn !== 'function') return this;
    for (var name of String(names).split(/\s+/)) {
      if (!name) continue;
      var list = this._events.get(name);
      if (!list) { list = []; this._events.set(name, list); }
      list.push({ fn: fn, ctx: ctx, once: once });
      this._listenerAdded(name);
    }
    return this;
  }
  off(names, fn) {
    if (names == null) {
      if (fn == null) this._events.clear();
      else for (var key of this._events.keys()) this.off(key, fn);
      return this;
    }
    for (var name of String(names).split(/\s+/)) {
      if (!name) continue;
      if (fn == null) { this._events.delete(name); continue; }
      var list = this._events.get(name);
      if (list) this._events.set(name, list.filter(function (l) { return l.fn !== fn; }));
    }
    return this;
  }
  listenerCount(name) { var list = this._events.get(name); return list ? list.length : 0; }
  _listenerAdded(_name) {}
  trigger(name) {
    var args = Array.prototype.slice.call(arguments, 1);
    var list = this._events.get(name);
    if (!list) return this;
    for (var l of list.slice()) {
      if (l.once) this.off(name, l.fn);
      try {
        var result = l.fn.apply(l.ctx || this, args);
        if (result && typeof result.catch === 'function') {
          result.catch(function (e) { report('warn', 'async listener for ' + name + ' failed: ' + describe(e)); });
        }
      } catch (e) {
        report('warn', 'listener for ' + name + ' failed: ' + describe(e));
      }
    }
    return this;
  }
  emit() { return this.trigger.apply(this, arguments); }
}

class Model extends Emitter {
  constructor(attrs) {
    super();
    hidden(this, 'collection', undefined);
    if (attrs) Object.assign(this, attrs);
  }
  get(key) { return this[key]; }
  set(key, value) {
    if (key && typeof key === 'object') {
      for (var k of Object.keys(key)) this.set(k, key[k]);
      return this;
    }
    var prev = this[key];
    if (prev === value) return this;
    this[key] = value;
    this.trigger('change:' + key, this, value, prev);
    this.trigger('change', this);
    return this;
  }
  trigger(name) {
    Emitter.prototype.trigger.apply(this, arguments);
    if (this.collection) this.collection.trigger.apply(this.collection, arguments);
    return this;
  }
  serialize() {
    var out = {};
    for (var k of Object.keys(this)) out[k] = this[k];
    return out;
  }
  toJSON() { return this.serialize(); }
}

class Collection extends Emitter {
  constructor(modelClass, options) {
    super();
    hidden(this, '_models', new Map());
    hidden(this, 'modelClass', modelClass || Model);
    hidden(this, '_owner', !(options && options.owner === false));
  }
  _key(id) {
    if (id == null) return undefined;
    if (typeof id === 'string') return id;
    if (typeof id._serialized === 'string') return id._serialized;
    if (id.id && typeof id.id._serialized === 'string') return id.id._serialized;
    return String(id);
  }
  get(id) { return this._models.get(this._key(id)); }
  has(id) { return this._models.has(this._key(id)); }
  add(items, opts) {
    var many = Array.isArray(items);
    var out = [];
    for (var item of many ? items : [items]) {
      var model = item instanceof Model ? item : new this.modelClass(item);
      var key = this._key(model.id);
      var existing = this._models.get(key);
      if (existing) { out.push(existing); continue; }
      this._models.set(key, model);
      if (this._owner) model.collection = this;
      this.trigger('add', model, this, opts || {});
      out.push(model);
    }
    return many ? out : out[0];
  }
  /** With { silent: true } no 'remove' event, as in Backbone: the model is unloaded, not deleted. */
  remove(items, opts) {
    var many = Array.isArray(items);
    var out = [];
    for (var item of many ? items : [items]) {
      var key = this._key(item instanceof Model ? item.id : item);
      var model = this._models.get(key);
      if (!model) continue;
      this._models.delete(key);
      if (!(opts && opts.silent)) this.trigger('remove', model, this, opts || {});
      if (model.collection === this) model.collection = undefined;
      out.push(model);
    }
    return many ? out : out[0];
  }
  getModelsArray() { return Array.from(this._models.values()); }
  get models() { return this.getModelsArray(); }
  get length() { return this._models.size; }
  forEach(fn) { this.getModelsArray().forEach(fn); }
  filter(fn) { return this.getModelsArray().filter(fn); }
  map(fn) { return this.getModelsArray().map(fn); }
  toArray() { return this.getModelsArray(); }
  last() { var all = this.getModelsArray(); return all[all.length - 1]; }
  async find(id) { return this.get(id); }
  async getMessagesById(ids) {
    var self = this;
    return { messages: (ids || []).map(function (id) { return self.get(id); }).filter(Boolean) };
  }
  toJSON() { return this.getModelsArray().map(function (m) { return m.id && m.id._serialized ? m.id._serialized : m.id; }); }
}

class Wid {
  constructor(text) {
    var at = text.indexOf('@');
    this.server = at < 0 ? 'c.us' : text.slice(at + 1);
    this.user = at < 0 ? text : text.slice(0, at);
    if (this.server === 's.whatsapp.net') this.server = 'c.us';
    this._serialized = this.user + '@' + this.server;
  }
  isLid() { return this.server === 'lid'; }
  isGroup() { return this.server === 'g.us'; }
  isStatus() { return this.user === 'status' && this.server === 'broadcast'; }
  isBroadcast() { return this.server === 'broadcast'; }
  isNewsletter() { return this.server === 'newsletter'; }
  isUser() { return this.server === 'c.us' || this.server === 'lid'; }
  isServer() { return this.user === 'server' && this.server === 'c.us'; }
  toString() { return this._serialized; }
  toJid() { return this.isUser() && this.server === 'c.us' ? this.user + '@s.whatsapp.net' : this._serialized; }
  equals(other) { return !!other && String(other._serialized || other) === this._serialized; }
}
function createWid(id) {
  if (id instanceof Wid) return id;
  if (id && typeof id === 'object' && typeof id._serialized === 'string') return new Wid(id._serialized);
  if (typeof id !== 'string' || id.length === 0) throw new Error('sandbox: not a wid: ' + String(id));
  return new Wid(id);
}
function asUserWidOrThrow(id) {
  var wid = createWid(id);
  if (!wid.isUser()) throw new Error('sandbox: not a user wid: ' + wid._serialized);
  return wid;
}

class MsgKey {
  constructor(o) {
    if (o instanceof MsgKey) o = { fromMe: o.fromMe, remote: o.remote, id: o.id, participant: o.participant };
    if (o.selfDir !== undefined || o.from !== undefined) {
      this.fromMe = o.selfDir === 'out';
      this.remote = createWid(this.fromMe ? o.to : o.from);
    } else {
      this.fromMe = !!o.fromMe;
      this.remote = createWid(o.remote);
    }
    this.id = String(o.id);
    if (o.participant) this.participant = createWid(o.participant);
    this._serialized = this.fromMe + '_' + this.remote._serialized + '_' + this.id +
      (this.participant ? '_' + this.participant._serialized : '');
  }
  static async newId() { return '3EB0' + randomHex(10).toUpperCase(); }
  static newId_DEPRECATED() { return '3EB0' + randomHex(10).toUpperCase(); }
  toString() { return this._serialized; }
  equals(other) { return !!other && String(other._serialized || other) === this._serialized; }
}
`;
