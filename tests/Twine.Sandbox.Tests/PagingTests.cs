using System.Net;

namespace Twine.Sandbox.Tests;

/// <summary>Skip and cursor paging over the 12 seeded patients of the first organization.</summary>
public sealed class PagingTests : SandboxHost
{
    private const string Patients = $"patient?filter[organization]={OrganizationId}";

    [Fact]
    public async Task Without_page_parameters_a_list_is_skip_paged_ten_at_a_time()
    {
        var reply = await Get(Patients);
        reply.AssertOk();
        Assert.Equal(10, reply.DataArray.Count);
        Assert.Equal(12, (int)reply.Body["meta"]!["count"]!);
        Assert.EndsWith("page[number]=2&page[size]=10", (string?)reply.Body["links"]!["next"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Skip_paging_walks_every_page_with_self_first_last_prev_and_next_links()
    {
        var seen = new List<string>();
        var first = await Get($"{Patients}&page[number]=1&page[size]=5");
        var links = first.Body["links"]!;
        Assert.Equal($"/pub/patient?filter[organization]={OrganizationId}&page[number]=1&page[size]=5", (string?)links["self"]);
        Assert.Equal($"/pub/patient?filter[organization]={OrganizationId}&page[number]=1&page[size]=5", (string?)links["first"]);
        Assert.Equal($"/pub/patient?filter[organization]={OrganizationId}&page[number]=3&page[size]=5", (string?)links["last"]);
        Assert.Null(links["prev"]);
        seen.AddRange(first.Ids);

        var next = (string?)links["next"];
        var pages = 1;
        while (next is not null)
        {
            var page = await Get(next.TrimStart('/')[4..]);
            page.AssertOk();
            Assert.Equal(12, (int)page.Body["meta"]!["count"]!);
            Assert.NotNull(page.Body["links"]!["prev"]);
            seen.AddRange(page.Ids);
            next = (string?)page.Body["links"]!["next"];
            pages++;
        }

        Assert.Equal(3, pages);
        Assert.Equal(12, seen.Count);
        Assert.Equal(12, seen.Distinct().Count());
        Assert.Equal(PatientId, seen[0]);
    }

    [Fact]
    public async Task A_skip_page_past_the_end_is_empty_with_the_count_and_no_next_link()
    {
        var reply = await Get($"{Patients}&page[number]=9&page[size]=5");
        reply.AssertOk();
        Assert.Empty(reply.DataArray);
        Assert.Equal(12, (int)reply.Body["meta"]!["count"]!);
        Assert.Null(reply.Body["links"]!["next"]);
    }

    [Fact]
    public async Task Cursor_paging_walks_every_page_with_a_next_link_only_while_more_remain()
    {
        var seen = new List<string>();
        var reply = await Get($"{Patients}&page[limit]=5");
        reply.AssertOk();
        var pages = 1;
        seen.AddRange(reply.Ids);
        while (reply.Body["links"]!["next"] is { } next)
        {
            Assert.Contains("page[after]=", (string)next!, StringComparison.Ordinal);
            reply = await Get(((string)next!).TrimStart('/')[4..]);
            reply.AssertOk();
            Assert.Equal(12, (int)reply.Body["meta"]!["count"]!);
            seen.AddRange(reply.Ids);
            pages++;
        }

        Assert.Equal(3, pages);
        Assert.Equal(2, reply.DataArray.Count);
        Assert.Equal(12, seen.Distinct().Count());
    }

    [Fact]
    public async Task Cursor_paging_over_an_exact_multiple_of_the_limit_has_no_empty_last_page()
    {
        var reply = await Get($"{Patients}&page[limit]=6");
        var second = await Get(((string)reply.Body["links"]!["next"]!).TrimStart('/')[4..]);
        Assert.Equal(6, second.DataArray.Count);
        Assert.Null(second.Body["links"]!["next"]);
    }

    [Fact]
    public async Task Page_cursor_is_a_synonym_for_page_after()
    {
        var first = await Get($"{Patients}&page[limit]=4");
        var next = (string)first.Body["links"]!["next"]!;
        var cursor = Uri.UnescapeDataString(next[(next.IndexOf("page[after]=", StringComparison.Ordinal) + "page[after]=".Length)..]);

        var viaAfter = await Get($"{Patients}&page[limit]=4&page[after]={Uri.EscapeDataString(cursor)}");
        var viaCursor = await Get($"{Patients}&page[limit]=4&page[cursor]={Uri.EscapeDataString(cursor)}");
        Assert.Equal(viaAfter.Ids, viaCursor.Ids);
        Assert.Equal(4, viaCursor.DataArray.Count);
        Assert.DoesNotContain(first.Ids[0], viaCursor.Ids);
    }

    [Theory]
    [InlineData("page[size]=0")]
    [InlineData("page[limit]=0")]
    public async Task A_page_size_or_limit_of_zero_returns_only_the_count(string page)
    {
        var reply = await Get($"{Patients}&{page}");
        reply.AssertOk();
        Assert.Empty(reply.DataArray);
        Assert.Equal(12, (int)reply.Body["meta"]!["count"]!);
    }

    [Theory]
    [InlineData("page[number]=1&page[limit]=5", "page")]
    [InlineData("page[size]=5&page[after]=abc", "page")]
    [InlineData("page[size]=5&page[cursor]=abc", "page")]
    [InlineData("page[size]=51", "page[size]")]
    [InlineData("page[size]=-1", "page[size]")]
    [InlineData("page[size]=ten", "page[size]")]
    [InlineData("page[number]=0", "page[number]")]
    [InlineData("page[limit]=x", "page[limit]")]
    [InlineData("page[limit]=5&page[after]=not-a-cursor", "page[after]")]
    [InlineData("page[offset]=5", "page[offset]")]
    public async Task Invalid_or_mixed_paging_parameters_are_409_naming_the_parameter(string query, string parameter)
    {
        (await Get($"{Patients}&{query}")).AssertError(HttpStatusCode.Conflict, "InvalidParameter", parameter: parameter);
    }

    [Fact]
    public async Task Health_profile_answers_allow_pages_of_up_to_100()
    {
        var reply = await Get($"health_profile_answer?filter[organization]={OrganizationId}");
        Assert.Equal(9, reply.DataArray.Count);
        (await Get($"health_profile_answer?filter[organization]={OrganizationId}&page[size]=100")).AssertOk();
        (await Get($"health_profile_answer?filter[organization]={OrganizationId}&page[size]=101"))
            .AssertError(HttpStatusCode.Conflict, "InvalidParameter", parameter: "page[size]");
    }

    [Fact]
    public async Task Calendar_event_pages_keep_their_sort_across_pages()
    {
        var first = await Get($"calendar_event?filter[organization]={OrganizationId}&sort=-start_at&page[limit]=4");
        var second = await Get(((string)first.Body["links"]!["next"]!).TrimStart('/')[4..]);
        var all = await Get($"calendar_event?filter[organization]={OrganizationId}&sort=-start_at");
        Assert.Equal(all.Ids, first.Ids.Concat(second.Ids).ToList());
        Assert.Contains("sort=-start_at", (string?)first.Body["links"]!["next"], StringComparison.Ordinal);
    }
}
