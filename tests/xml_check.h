/* SPDX-License-Identifier: MIT */
/*
 * A small XML well-formedness check for the SVG files the tool writes:
 * one root element, every element closed in order, attributes quoted,
 * '<' never in text, '&' only as an entity.  Not a validator: enough to
 * say whether an XML parser would read the file.
 */
#ifndef XML_CHECK_H
#define XML_CHECK_H

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

static inline bool xml_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == ':' || c == '.';
}

/* An entity after '&': &lt; &gt; &amp; &quot; &apos; &#N; &#xN;. */
static inline const char *xml_entity(const char *p)
{
	static const char *const names[] = { "lt;", "gt;", "amp;", "quot;", "apos;" };
	size_t i;

	for (i = 0; i < 5; i++)
		if (!strncmp(p, names[i], strlen(names[i])))
			return p + strlen(names[i]);
	if (*p++ != '#')
		return NULL;
	if (*p == 'x')
		p++;
	if (!isxdigit((unsigned char)*p))
		return NULL;
	while (isxdigit((unsigned char)*p))
		p++;
	return *p == ';' ? p + 1 : NULL;
}

/* Text up to the next '<': entities checked. */
static inline const char *xml_text(const char *p)
{
	while (*p && *p != '<') {
		if (*p == '&') {
			p = xml_entity(p + 1);
			if (!p)
				return NULL;
			continue;
		}
		if (*p == '>')
			return NULL;
		p++;
	}
	return p;
}

/* Attributes up to '>' or '/>'; returns the position of that, NULL if malformed. */
static inline const char *xml_attrs(const char *p)
{
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '>' || (p[0] == '/' && p[1] == '>'))
			return p;
		if (!xml_name_char(*p))
			return NULL;
		while (xml_name_char(*p))
			p++;
		if (*p++ != '=' || (*p != '"' && *p != '\''))
			return NULL;
		{
			char q = *p++;

			while (*p && *p != q) {
				if (*p == '<')
					return NULL;
				if (*p == '&') {
					p = xml_entity(p + 1);
					if (!p)
						return NULL;
				} else {
					p++;
				}
			}
			if (*p++ != q)
				return NULL;
		}
	}
}

/* The whole document is well-formed XML with root element root. */
static inline bool xml_well_formed(const char *p, const char *root)
{
	const char *stack[256];
	size_t lens[256], depth = 0, roots = 0;

	if (!strncmp(p, "<?xml", 5)) {
		p = strstr(p, "?>");
		if (!p)
			return false;
		p += 2;
	}
	for (;;) {
		p = xml_text(p);
		if (!p)
			return false;
		if (!*p)
			return depth == 0 && roots == 1;
		if (!strncmp(p, "<!--", 4)) {
			p = strstr(p, "-->");
			if (!p)
				return false;
			p += 3;
		} else if (p[1] == '/') {
			const char *n = p + 2;
			size_t len = 0;

			while (xml_name_char(n[len]))
				len++;
			if (!depth || lens[depth - 1] != len || strncmp(stack[depth - 1], n, len) ||
			    n[len] != '>')
				return false;
			depth--;
			p = n + len + 1;
		} else {
			const char *n = p + 1;
			size_t len = 0;

			while (xml_name_char(n[len]))
				len++;
			if (!len || (depth == 0 && (roots++ || strlen(root) != len ||
						    strncmp(n, root, len))))
				return false;
			p = xml_attrs(n + len);
			if (!p)
				return false;
			if (*p == '/') {
				p += 2;
			} else {
				if (depth == 256)
					return false;
				stack[depth] = n;
				lens[depth++] = len;
				p++;
			}
		}
		if (depth == 0 && roots == 1) {
			p = xml_text(p);
			return p && !*p;
		}
	}
}

#endif /* XML_CHECK_H */
