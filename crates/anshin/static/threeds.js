// The 3-D Secure challenge page: hand the browser to the card issuer's page at once. The form
// (and its button) works without this script too.
document.getElementById('threeds-form').submit();
