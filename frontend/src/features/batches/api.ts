import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../../lib/api";
import type { Batch, BatchProgress } from "../../lib/types";

export const FINISHED = ["completed", "failed", "partial"];

export function useBatches(page: number, limit: number) {
  return useQuery({
    queryKey: ["batches", page, limit],
    queryFn: ({ signal }) =>
      api<{ batches: Batch[]; pagination: { total: number } }>(`/api/batches?page=${page}&limit=${limit}`, { signal }),
    placeholderData: keepPreviousData,
    // a batch in progress: the list follows it
    refetchInterval: (query) =>
      query.state.data?.batches.some((b) => !FINISHED.includes(b.status) && b.status !== "pending") ? 2000 : false,
  });
}

/** The batch's progress with its files, polled every second until it has finished. */
export function useBatchProgress(id: string) {
  return useQuery({
    queryKey: ["batch-progress", id],
    queryFn: ({ signal }) => api<BatchProgress>(`/api/batches/${id}/progress?includeFiles=true`, { signal }),
    refetchInterval: (query) => (query.state.data && FINISHED.includes(query.state.data.status) ? false : 1000),
  });
}

export function useBatchActions() {
  const queryClient = useQueryClient();
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ["batches"] });
    void queryClient.invalidateQueries({ queryKey: ["batch-progress"] });
    void queryClient.invalidateQueries({ queryKey: ["invoices"] });
  };
  const resume = useMutation({
    mutationFn: (id: string) => api(`/api/batches/${id}/resume`, { method: "POST" }),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (id: string) => api(`/api/batches/${id}`, { method: "DELETE" }),
    onSuccess: refresh,
  });
  return { resume, remove };
}
