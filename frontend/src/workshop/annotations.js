// The annotations of one workshop as this page knows them, kept in step
// with the event stream. The stream shows everyone's annotations as a
// participant sees them (mine and voted false), so those two fields are
// kept from what this page learnt through its own requests.

/**
 * Returns the collection. onChange(kind, annotation) is called after each
 * change: kind is "set" (everything was replaced), "upsert", "remove".
 */
export function createAnnotations(onChange) {
  const byId = new Map();

  function merge(a) {
    const old = byId.get(a.id);
    if (!old) return a;
    return { ...a, mine: a.mine || old.mine, voted: a.voted ?? old.voted };
  }

  return {
    get: (id) => byId.get(id) ?? null,

    /** Every annotation, newest first. */
    all() {
      return [...byId.values()].sort((a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? '') || b.id - a.id);
    },

    /** Replaces everything with the list of the API. */
    set(list) {
      byId.clear();
      for (const a of list) if (a && Number.isInteger(a.id)) byId.set(a.id, a);
      onChange('set', null);
    },

    /**
     * Adds or replaces an annotation. fromStream: it came from the event
     * stream, whose mine and voted are not the caller's.
     */
    upsert(a, { fromStream = false } = {}) {
      if (!a || !Number.isInteger(a.id)) return;
      const old = byId.get(a.id);
      const next = fromStream ? { ...a, mine: old?.mine ?? false, voted: old?.voted ?? false } : merge(a);
      byId.set(a.id, next);
      onChange('upsert', next);
    },

    /** Changes some fields of a known annotation. */
    patch(id, fields) {
      const old = byId.get(id);
      if (!old) return;
      const next = { ...old, ...fields };
      byId.set(id, next);
      onChange('upsert', next);
    },

    remove(id) {
      const old = byId.get(id);
      if (!old) return;
      byId.delete(id);
      onChange('remove', old);
    },
  };
}

/** Whether a is shown to everyone. */
export const isVisible = (a) => a.state !== 'hidden';
