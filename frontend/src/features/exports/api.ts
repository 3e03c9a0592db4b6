import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, apiFile, saveBlob } from "../../lib/api";
import type { InvoiceList } from "../../lib/types";

export type FieldKind = "invoice" | "line_item";

export interface CatalogueField {
  key: string;
  label: string;
  type: string;
  width: number;
}

export interface TemplateField {
  key: string;
  label?: string;
}

export interface ExportTemplate {
  id: string;
  name: string;
  description: string | null;
  is_public: boolean;
  user_id: string | null;
  invoice_fields: TemplateField[];
  line_item_fields: TemplateField[];
  usage_count: number | null;
  last_used_at: string | null;
}

export interface TemplateChange {
  name: string;
  description: string;
  is_public: boolean;
  invoice_fields: TemplateField[];
  line_item_fields: TemplateField[];
}

export interface RecentExport {
  id: string;
  template_name: string | null;
  export_format: "xlsx" | "csv";
  invoice_count: number | null;
  line_item_count: number | null;
  file_size: number | null;
  success: boolean;
  error_message: string | null;
  created_at: string;
  download_url: string | null;
}

/** The filters POST /api/exports/generate accepts (the invoice list's, and invoice_ids). */
export interface ExportFilters {
  status: string;
  vendor_id: string;
  search: string;
  start_date: string;
  end_date: string;
  date_range: string;
}

export const NO_FILTERS: ExportFilters = { status: "", vendor_id: "", search: "", start_date: "", end_date: "", date_range: "" };

export function useCatalogue() {
  return useQuery({
    queryKey: ["exports", "fields"],
    queryFn: ({ signal }) => api<{ fields: Record<FieldKind, CatalogueField[]> }>("/api/exports/fields", { signal }),
    select: (body) => body.fields,
    staleTime: Infinity,
  });
}

export function useTemplates() {
  return useQuery({
    queryKey: ["exports", "templates"],
    queryFn: ({ signal }) => api<{ templates: ExportTemplate[] }>("/api/exports/templates", { signal }),
    select: (body) => body.templates,
  });
}

export function useSaveTemplate() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, change }: { id: string | null; change: TemplateChange }) =>
      api<{ template: ExportTemplate }>(id ? `/api/exports/templates/${id}` : "/api/exports/templates", {
        method: id ? "PUT" : "POST",
        json: change,
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["exports", "templates"] }),
  });
}

export function useDeleteTemplate() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api(`/api/exports/templates/${id}`, { method: "DELETE" }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["exports", "templates"] }),
  });
}

export function useRecent() {
  return useQuery({
    queryKey: ["exports", "recent"],
    queryFn: ({ signal }) => api<{ exports: RecentExport[] }>("/api/exports/recent?limit=20", { signal }),
    select: (body) => body.exports,
  });
}

const PREVIEW_LIMIT = 1000;

export interface SelectionPreview {
  count: number;
  /** sums of total_amount per currency; null when the selection is larger than PREVIEW_LIMIT */
  totals: Record<string, number> | null;
  limit: number;
}

export function sumTotals(rows: { total_amount: string | number | null; currency: string | null }[]): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const row of rows) {
    const n = Number(row.total_amount);
    if (row.total_amount === null || row.total_amount === "" || !Number.isFinite(n)) continue;
    const currency = row.currency || "";
    totals[currency] = (totals[currency] ?? 0) + n;
  }
  return totals;
}

/** What the filters select, through the invoice list (the same filters, one query): the count, and
 * the total amounts when the selection has at most PREVIEW_LIMIT invoices (the API has no sum). */
export function useSelectionPreview(filters: ExportFilters, enabled: boolean) {
  return useQuery({
    queryKey: ["exports", "preview", filters],
    enabled,
    queryFn: async ({ signal }): Promise<SelectionPreview> => {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(filters)) if (value) params.set(key, value);
      params.set("limit", String(PREVIEW_LIMIT));
      const body = await api<InvoiceList>(`/api/invoices?${params.toString()}`, { signal });
      return { count: body.total, totals: body.total <= PREVIEW_LIMIT ? sumTotals(body.invoices) : null, limit: PREVIEW_LIMIT };
    },
  });
}

export interface GenerateRequest {
  template_id: string;
  format: "xlsx" | "csv";
  filters: Partial<ExportFilters> & { invoice_ids?: string[] };
}

/** Generate an export and save it; the counts the API reports. */
export function useGenerate() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (request: GenerateRequest) => {
      const filters: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(request.filters)) if (value && (!Array.isArray(value) || value.length)) filters[key] = value;
      const file = await apiFile("/api/exports/generate", { method: "POST", json: { ...request, filters } });
      const extension = request.format === "xlsx" ? "xlsx" : "zip";
      saveBlob(file.blob, file.filename ?? `invoices-export.${extension}`);
      return {
        // null when the API is on another origin that does not expose these headers (CORS)
        invoices: file.headers.has("X-Export-Invoices") ? Number(file.headers.get("X-Export-Invoices")) : null,
        lineItems: file.headers.has("X-Export-Line-Items") ? Number(file.headers.get("X-Export-Line-Items")) : null,
        format: request.format,
      };
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["exports", "recent"] }),
  });
}

export function useDownload() {
  return useMutation({
    mutationFn: async (item: RecentExport) => {
      const file = await apiFile(item.download_url ?? `/api/exports/download/${item.id}`);
      saveBlob(file.blob, file.filename ?? `invoices-export-${item.id}.${item.export_format === "xlsx" ? "xlsx" : "zip"}`);
    },
  });
}
