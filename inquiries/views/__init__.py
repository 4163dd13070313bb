"""Views of the inquiries app, one module per part of the work:

- browse: the inquiry list and the inquiry page everyone shares;
- workbench: operations' allocation pages (queue, rules, disputes);
- workspace: the salesperson's own pages (my inquiries, follow-ups, orders, RFQ quotes);
- pool: the public pool (公海) and buyers;
- imports: uploading a company's history.
"""
