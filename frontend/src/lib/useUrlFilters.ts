import { useEffect, useRef, useState } from "react";
import { useSearchParams } from "react-router-dom";

/** The page sizes every paged list offers. */
export const PAGE_SIZES = [25, 50, 100];
const DEFAULT_LIMIT = 50;

export interface Paging {
  page: number;
  limit: number;
}

/**
 * A list's filters, sort and paging, kept in the URL's search params: a reload, a shared link
 * or Back shows the same page. `defaults` names every filter with its default value, in the
 * order they appear in the URL; a value equal to its default (or empty) is left out of the URL.
 * `page` (from 1) and `limit` (one of PAGE_SIZES) are always there; any change that is not a
 * page change goes back to page 1.
 */
export function useUrlFilters<T extends Record<string, string>>(defaults: T): [T & Paging, (change: Partial<T & Paging>) => void] {
  const [params, setParams] = useSearchParams();
  const limit = Number(params.get("limit")) || DEFAULT_LIMIT;
  const filters = {
    ...(Object.fromEntries(Object.entries(defaults).map(([key, fallback]) => [key, params.get(key) ?? fallback])) as T),
    page: Math.max(1, Number(params.get("page")) || 1),
    limit: PAGE_SIZES.includes(limit) ? limit : DEFAULT_LIMIT,
  };
  function update(change: Partial<T & Paging>) {
    const next = { ...filters, page: 1, ...change };
    const out = new URLSearchParams();
    for (const [key, fallback] of Object.entries(defaults)) {
      const value = next[key];
      if (value && value !== fallback) out.set(key, value);
    }
    if (next.page > 1) out.set("page", String(next.page));
    if (next.limit !== DEFAULT_LIMIT) out.set("limit", String(next.limit));
    setParams(out);
  }
  return [filters, update];
}

/** The paging of a DataTable whose page and page size are in the URL (useUrlFilters). */
export function urlPaging(filters: Paging, update: (change: Partial<Paging>) => void, count = 0) {
  return {
    count,
    page: filters.page,
    limit: filters.limit,
    onPage: (page: number) => update({ page }),
    onLimit: (limit: number) => update({ limit }),
  };
}

/**
 * A text field's draft that is committed after a pause in typing, not at every key:
 * `commit(draft)` runs 350 ms after the last change; a new `value` from elsewhere (Back,
 * a removed chip) replaces the draft.
 */
export function useDebouncedDraft(value: string, commit: (draft: string) => void, delay = 350): [string, (draft: string) => void] {
  const [draft, setDraft] = useState(value);
  // the latest commit, so a timer started before another filter changed does not undo it
  const latest = useRef(commit);
  latest.current = commit;
  useEffect(() => {
    if (draft === value) return;
    const timer = window.setTimeout(() => latest.current(draft), delay);
    return () => window.clearTimeout(timer);
  }, [draft, value, delay]);
  useEffect(() => setDraft(value), [value]);
  return [draft, setDraft];
}
