import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../../lib/api";
import type { InvoiceList, UploadSummary, Vendor } from "../../lib/types";

export interface InvoiceFilters {
  search: string;
  status: string;
  vendor_id: string;
  start_date: string;
  end_date: string;
  sort: string;
  page: number;
  limit: number;
}

export function listQuery(filters: InvoiceFilters): string {
  const params = new URLSearchParams();
  for (const key of ["search", "status", "vendor_id", "start_date", "end_date", "sort"] as const) {
    if (filters[key]) params.set(key, filters[key]);
  }
  params.set("page", String(filters.page));
  params.set("limit", String(filters.limit));
  return params.toString();
}

export function useInvoices(filters: InvoiceFilters) {
  return useQuery({
    queryKey: ["invoices", filters],
    queryFn: ({ signal }) => api<InvoiceList>(`/api/invoices?${listQuery(filters)}`, { signal }),
    placeholderData: keepPreviousData,
  });
}

export function useVendors() {
  return useQuery({
    queryKey: ["vendors"],
    queryFn: ({ signal }) => api<{ vendors: Vendor[] }>("/api/vendors", { signal }),
    select: (body) => body.vendors,
    staleTime: 60_000,
  });
}

export function useUpload() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ vendorId, file }: { vendorId: string; file: File }) => {
      const form = new FormData();
      form.set("vendor_id", vendorId);
      form.set("invoice", file);
      return api<{ message: string; invoice: UploadSummary }>("/api/invoices/upload", { form });
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["invoices"] }),
  });
}

/** Delete invoices one by one; the ids that could not be deleted, with why. */
export function useDeleteInvoices() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (ids: string[]) => {
      const failures: { id: string; error: string }[] = [];
      for (const id of ids) {
        try {
          await api(`/api/invoices/${id}`, { method: "DELETE" });
        } catch (error) {
          failures.push({ id, error: error instanceof Error ? error.message : String(error) });
        }
      }
      return failures;
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["invoices"] }),
  });
}
