// The API's shapes (docs/api.md, /api/openapi.json) that the screens use.

export type Role = "admin" | "reviewer" | "viewer";

export interface User {
  id: string;
  email: string;
  name: string | null;
  role: Role;
}

export interface LoginResponse {
  message: string;
  token: string;
  expires_in: number;
  user: User;
}

export interface Vendor {
  id: string;
  name: string;
  display_name: string | null;
  active: boolean;
}

export interface Customer {
  id: string;
  name: string;
  invoice_count?: number;
}

export type Status = "pending" | "processed" | "approved" | "rejected" | "failed";
export const STATUSES: Status[] = ["pending", "processed", "approved", "rejected", "failed"];

export interface InvoiceSummary {
  id: string;
  invoice_number: string | null;
  original_filename: string | null;
  vendor_id: string | null;
  vendor_name: string | null;
  vendor_display_name: string | null;
  customer_name: string | null;
  invoice_date: string | null;
  total_amount: string | number | null;
  currency: string | null;
  processing_status: Status;
  batch_name: string | null;
  created_at: string;
}

export interface Page {
  limit: number;
  offset: number;
  page: number;
  total: number;
}

export interface InvoiceList {
  invoices: InvoiceSummary[];
  total: number;
  pagination: Page;
}

export interface UploadSummary {
  id: string;
  invoice_number: string | null;
  customer_name: string | null;
  total_amount: string | number | null;
  line_items_count: number;
  vendor_name: string;
  warnings: string[];
}

export type Row = Record<string, string | number | null>;

export interface LineItem extends Row {}

export interface InvoiceDetail extends InvoiceSummary {
  subtotal: string | number | null;
  total_taxes: string | number | null;
  due_date: string | null;
  purchase_order_number: string | null;
  payment_terms: string | null;
  rejection_reason: string | null;
  updated_at: string | null;
  extraction_warnings: string[] | null;
  line_items: LineItem[];
  file_url: string;
}

export type BatchStatus = "pending" | "processing" | "completed" | "failed" | "partial";

export interface Batch {
  id: string;
  batch_name: string;
  vendor_id: string;
  vendor_name: string | null;
  vendor_display_name: string | null;
  status: BatchStatus;
  total_file_count: number;
  processed_count: number;
  failed_count: number;
  created_at: string;
}

export interface BatchFile {
  id: string;
  filename: string;
  status: string | null;
  error_message: string | null;
  invoice_id: string | null;
  invoice_number: string | null;
}

export interface BatchProgress {
  batchId: string;
  status: BatchStatus;
  totalFiles: number;
  processedFiles: number;
  failedFiles: number;
  pendingFiles: number;
  processingFiles: number;
  skippedFiles: number;
  completionPercentage: number;
  errorMessage: string | null;
  files?: BatchFile[];
}
