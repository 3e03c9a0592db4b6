import { useMutation, useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, fileUrl } from "../../lib/api";
import { STATUSES, type InvoiceDetail, type InvoiceList, type Row } from "../../lib/types";

export function useInvoice(id: string) {
  return useQuery({
    queryKey: ["invoice", id],
    queryFn: ({ signal }) => api<{ invoice: InvoiceDetail }>(`/api/invoices/${id}`, { signal }),
    select: (body) => body.invoice,
  });
}

/** The invoice's file as a blob URL, fetched with the Authorization header. */
export function useInvoiceFile(id: string) {
  return useQuery({
    queryKey: ["invoice-file", id],
    queryFn: ({ signal }) => fileUrl(`/api/invoices/${id}/file`, signal),
    staleTime: Infinity,
    gcTime: 0,
  });
}

/** How many invoices have each status: one count query per status (the list's total). */
export function useStatusCounts() {
  return useQueries({
    queries: STATUSES.map((status) => ({
      queryKey: ["invoices", "count", status],
      queryFn: ({ signal }: { signal: AbortSignal }) => api<InvoiceList>(`/api/invoices?status=${status}&limit=1`, { signal }),
      select: (body: InvoiceList) => body.total,
    })),
  });
}

/** The oldest invoice waiting for review (extracted: processed) other than `except`, or null. */
export async function nextToReview(except?: string): Promise<string | null> {
  const body = await api<InvoiceList>("/api/invoices?status=processed&sort=created_at&limit=2");
  return body.invoices.find((inv) => inv.id !== except)?.id ?? null;
}

export function useReviewActions(id: string) {
  const queryClient = useQueryClient();
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ["invoices"] });
    void queryClient.invalidateQueries({ queryKey: ["invoice", id] });
  };
  const save = useMutation({
    mutationFn: (body: { invoice_header: Row; line_items: Row[] }) =>
      api<{ invoice: InvoiceDetail }>(`/api/invoices/${id}/update`, { method: "PUT", json: body }),
    onSuccess: (body) => {
      queryClient.setQueryData(["invoice", id], { invoice: body.invoice });
      void queryClient.invalidateQueries({ queryKey: ["invoices"] });
    },
  });
  const approve = useMutation({
    mutationFn: () => api<{ message: string }>(`/api/invoices/${id}/approve`, { method: "PUT" }),
    onSuccess: refresh,
  });
  const reject = useMutation({
    mutationFn: (reason: string) => api<{ message: string }>(`/api/invoices/${id}/reject`, { method: "PUT", json: { reason } }),
    onSuccess: refresh,
  });
  return { save, approve, reject };
}
