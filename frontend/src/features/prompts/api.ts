import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../../lib/api";

export interface Prompt {
  id: string;
  prompt_name: string;
  prompt_text: string;
  vendor_id: string | null;
  vendor_name: string | null;
  vendor_display_name: string | null;
  is_template: boolean;
  is_active: boolean;
  version: number;
  parent_prompt_id: string | null;
  created_by: string | null;
  created_at: string;
  child_count?: number;
}

export interface PromptFilters {
  vendor_id: string;
  is_active: string;
  is_template: string;
  page: number;
  limit: number;
}

export interface NewPrompt {
  prompt_name: string;
  prompt_text: string;
  vendor_id?: string;
  is_template?: boolean;
  is_active?: boolean;
  parent_prompt_id?: string;
}

export interface Extracted {
  invoice_header: Record<string, unknown>;
  line_items: Record<string, unknown>[];
  confidence_score: number | null;
  warnings: string[];
  model: string | null;
}

export interface TestUpload {
  tempFileId: string;
  originalName: string;
  contentType: string;
  size: number;
  expiresInSeconds: number;
  /** the text extraction reads from the file (PDF, HTML), null for an image or an unreadable file */
  extractedText: string | null;
  /** why there is no text, or that it was cut */
  extractedTextNote: string | null;
}

export interface TestRun {
  extracted_data: Extracted;
  processing_time_ms: number;
  test_result: { custom_prompt_used: boolean };
}

export function usePrompts(filters: PromptFilters) {
  const params = new URLSearchParams();
  for (const key of ["vendor_id", "is_active", "is_template"] as const) if (filters[key]) params.set(key, filters[key]);
  params.set("limit", String(filters.limit));
  params.set("offset", String((filters.page - 1) * filters.limit));
  return useQuery({
    queryKey: ["prompts", "list", filters],
    queryFn: ({ signal }) =>
      api<{ prompts: Prompt[]; total: number }>(`/api/prompts?${params.toString()}`, { signal }),
    placeholderData: keepPreviousData,
  });
}

export function usePrompt(id: string) {
  return useQuery({
    queryKey: ["prompts", "one", id],
    queryFn: ({ signal }) => api<{ prompt: Prompt }>(`/api/prompts/${id}`, { signal }),
    select: (body) => body.prompt,
  });
}

export function useHistory(id: string) {
  return useQuery({
    queryKey: ["prompts", "history", id],
    queryFn: ({ signal }) => api<{ versions: Prompt[] }>(`/api/prompts/${id}/history`, { signal }),
    select: (body) => body.versions,
  });
}

function useInvalidatePrompts() {
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: ["prompts"] });
    void queryClient.invalidateQueries({ queryKey: ["vendors"] });
  };
}

export function useCreatePrompt() {
  const invalidate = useInvalidatePrompts();
  return useMutation({
    mutationFn: (prompt: NewPrompt) => api<{ prompt: Prompt }>("/api/prompts", { json: prompt }),
    onSuccess: invalidate,
  });
}

export function useUpdatePrompt(id: string) {
  const invalidate = useInvalidatePrompts();
  return useMutation({
    mutationFn: (change: { prompt_name?: string; prompt_text?: string }) =>
      api<{ prompt: Prompt }>(`/api/prompts/${id}`, { method: "PUT", json: change }),
    onSuccess: invalidate,
  });
}

export function useActivatePrompt() {
  const invalidate = useInvalidatePrompts();
  return useMutation({
    mutationFn: (id: string) => api<{ prompt_id: string }>(`/api/prompts/${id}/activate`, { method: "POST" }),
    onSuccess: invalidate,
  });
}

export function useTestUpload(id: string) {
  return useMutation({
    mutationFn: (file: File) => {
      const form = new FormData();
      form.set("testFile", file);
      return api<TestUpload>(`/api/prompts/${id}/test-upload`, { form });
    },
  });
}

export function useTestRun(id: string) {
  return useMutation({
    mutationFn: (body: { tempFileId: string; promptText: string }) =>
      api<TestRun>(`/api/prompts/${id}/test-run`, { json: body }),
  });
}

export function useTestCleanup() {
  return useMutation({
    mutationFn: (tempFileId: string) =>
      api<{ tempFileId: string }>(`/api/prompts/test-cleanup/${tempFileId}`, { method: "DELETE" }),
  });
}
