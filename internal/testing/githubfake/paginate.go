package githubfake

import (
	"fmt"
	"strconv"
	"strings"
)

// paginate applies GitHub's page and per_page parameters (default 30, at most 100) to a list of total
// items, sets the Link header GitHub would send, and returns the slice bounds of the requested page.
func (c *call) paginate(total int) (from, to int) { return c.paginateBy(total, 30, 100) }

// paginateBy is paginate for lists with other page sizes, such as a commit's files (300 a page).
func (c *call) paginateBy(total, defaultPerPage, maxPerPage int) (from, to int) {
	q := c.r.URL.Query()
	perPage, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || perPage <= 0 {
		perPage = defaultPerPage
	}
	perPage = min(perPage, maxPerPage)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page <= 0 {
		page = 1
	}
	last := max((total+perPage-1)/perPage, 1)

	link := func(p int, rel string) string {
		q.Set("page", strconv.Itoa(p))
		q.Set("per_page", strconv.Itoa(perPage))
		return fmt.Sprintf("<%s%s?%s>; rel=%q", c.s.srv.URL, c.r.URL.EscapedPath(), q.Encode(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(page-1, "prev"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		c.w.Header().Set("Link", strings.Join(links, ", "))
	}
	from = min((page-1)*perPage, total)
	return from, min(from+perPage, total)
}
