// Where the API lives. "" means this site's own origin (CloudFront routes /api/* to the API).
// The cdn role uploads its own version of this file with the environment's API URL.
window.INVOICE_CONFIG = window.INVOICE_CONFIG || { apiBase: "" };
