using System.Text.Json;
using CartCrossSell.Cli.Hosting;
using CartCrossSell.Contracts;
using CartCrossSell.Experiments;
using CartCrossSell.TestInfrastructure;
using CartCrossSell.Web;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace CartCrossSell.Web.Tests;

/// <summary>
/// <c>cartxsell serve --embedded</c> in process (embedded Kafka, a real redis-server, the history learned, every
/// topology, 150 simulated shoppers in the background) and Debian's chromium driven by Playwright.
/// </summary>
public sealed class EmbeddedShopFixture : IAsyncLifetime
{
    public EmbeddedShop Shop { get; private set; } = null!;
    public IPlaywright? Playwright { get; private set; }
    public IBrowser? Browser { get; private set; }
    public string Base => Shop.Address.ToString().TrimEnd('/');
    public static string Screenshots => Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        if (ChromiumFactAttribute.Executable is not { } chromium) return; // every test here is skipped
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Web:Port"] = "0" }).Build();
        Shop = await EmbeddedShop.StartAsync(new EmbeddedShopOptions { OrdersPath = RepositoryFiles.OnlineRetail, Sessions = 150 },
            configuration, NullLoggerFactory.Instance, webLogging: null, TextWriter.Null);
        // The shop's start waits until the learner has learned every order and the recommender's table has read the rows
        // (WaitForLearningTests). These tests rank one basket, so its rows are checked too: a start that returned early
        // fails here by name instead of as an empty add-on list (a loaded CI machine once ranked it on half-learned rows).
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (BrowserTests.Basket.Any(sku => Shop.Service.Neighbors.Find(Engine.RowKeys.Item(sku)) is null))
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(120)) throw new TimeoutException("the basket's learned rows never reached the recommender's table");
            await Task.Delay(100);
        }
        // The shop page lists the best sellers once, at load, from the web host's own copy of the catalog, which fills
        // one upsert at a time: the basket's products must be listed before a shopper opens the page (a loaded machine
        // opened it on a partial list that lacked them).
        using (var http = new HttpClient())
            while (!BrowserTests.Basket.All(JsonDocument.Parse(await http.GetStringAsync($"{Base}/shop/api/catalog?limit=24")).RootElement
                       .EnumerateArray().Select(p => p.GetProperty("sku").GetString()).ToHashSet().Contains))
            {
                if (waited.Elapsed > TimeSpan.FromSeconds(120)) throw new TimeoutException("the shop never listed the basket's products");
                await Task.Delay(100);
            }
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true, Args = ["--no-sandbox"] });
        Directory.CreateDirectory(Screenshots);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        Playwright?.Dispose();
        if (Shop is not null) await Shop.DisposeAsync();
    }

    /// <summary>A visitor id the demo experiment puts in <paramref name="cohort"/> (the same hash the service uses).</summary>
    public string Visitor(Cohort cohort, string prefix)
    {
        var experiment = new EmbeddedShopOptions { OrdersPath = "" }.Experiment.Config;
        return Enumerable.Range(0, 1000).Select(i => $"{prefix}-{i}").First(v => experiment.Assign(v, "s-" + v) == cohort);
    }
}

public sealed class BrowserTests(EmbeddedShopFixture fixture, ITestOutputHelper output) : IClassFixture<EmbeddedShopFixture>
{
    internal static readonly string[] Basket = ["85099", "85123"]; // JUMBO BAG and the T-light holder: best sellers with learned neighbours
    private const float Timeout = 20_000;

    private async Task<IPage> OpenShopAsync(string visitor)
    {
        var page = await fixture.Browser!.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 900 } });
        page.SetDefaultTimeout(Timeout);
        page.Console += (_, m) => output.WriteLine($"[browser] {m.Text}");
        await page.GotoAsync($"{fixture.Base}/shop?visitor={visitor}&session=s-{visitor}&cart=cart-{visitor}");
        foreach (var sku in Basket)
        {
            await page.ClickAsync($"#catalog li[data-sku='{sku}'] button");
            await page.Locator($"#cart-lines li[data-sku='{sku}']").WaitForAsync();
        }
        // The widget holds the value answering the whole basket (the offset of the last add is its version).
        var last = await EventuallyAsync(() => TopicProbe.ReadToEnd(fixture.Shop.Environment.Kafka.ToOptions(), Topics.CartEvents, TimeSpan.FromSeconds(20))
            .Where(r => r.Message.Key == "cart-" + visitor).Select(r => (long?)r.Offset.Value).Max() is { } o ? (object)o : null, "the basket's cart events");
        await EventuallyAsync(async () => long.TryParse(await page.Locator("cart-cross-sell").GetAttributeAsync("data-version"), out var v) && v >= (long)last ? true : (bool?)null,
            "the widget to hold the value answering the basket");
        return page;
    }

    private static async Task<string[]> ShownSkusAsync(IPage page) =>
        (await page.Locator("cart-cross-sell li").EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.sku)"));

    [ChromiumFact]
    public async Task A_treatment_shopper_sees_at_most_three_add_ons_adds_one_with_one_click_and_the_list_refreshes_without_it()
    {
        var visitor = fixture.Visitor(Cohort.Treatment, "treated");
        var cart = "cart-" + visitor;
        var page = await OpenShopAsync(visitor);

        var shown = await ShownSkusAsync(page);
        output.WriteLine($"shown: {string.Join(", ", shown)}");
        if (shown.Length == 0) // what the recommender wrote, and what it had learned of the basket, for whoever reads a failure
        {
            using var diagnose = new HttpClient();
            output.WriteLine($"the cart's value: {await diagnose.GetStringAsync($"{fixture.Base}/v1/carts/{cart}/add-ons")}; "
                + $"rows in the recommender's table: {fixture.Shop.Service.Neighbors.RowCount}");
        }
        Assert.InRange(shown.Length, 1, 3);
        Assert.Empty(shown.Intersect(Basket));
        var button = page.Locator("cart-cross-sell li").First.Locator("button");
        Assert.StartsWith("Add ", await button.GetAttributeAsync("aria-label"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(EmbeddedShopFixture.Screenshots, "shop-treatment.png"), FullPage = true });

        // What the widget reported it showed, in position order, reaches cross-sell-impressions.
        var impression = await EventuallyAsync(() => Read<CrossSellImpression>(Topics.CrossSellImpressions, cart, ContractsJson.Default.CrossSellImpression)
            .FirstOrDefault(i => i.Skus.SequenceEqual(shown)), "an impression of the shown skus");
        Assert.Equal("s-" + visitor, impression.SessionId);

        // The value the page rendered says which variant is preselected; one click adds exactly that, from the widget.
        using var http = new HttpClient();
        // A later value (a view, a re-rank) may replace the list between two reads: take the list and its value together.
        var (value, current) = await EventuallyAsync<Tuple<CartRecommendation, string[]>>(async () =>
        {
            var rendered = await page.Locator("cart-cross-sell").GetAttributeAsync("data-version");
            var stored = JsonSerializer.Deserialize(await http.GetStringAsync($"{fixture.Base}/v1/carts/{cart}/add-ons"), ContractsJson.Default.CartRecommendation)!;
            var skus = await ShownSkusAsync(page);
            return long.TryParse(rendered, out var v) && v == stored.Version && skus.Length > 0 && stored.AddOns.Any(a => a.Sku == skus[0])
                ? Tuple.Create(stored, skus) : null;
        }, "the rendered list and the value it shows");
        var chosen = value.AddOns.Single(a => a.Sku == current[0]);
        // Each add-on shows its title, its full price, the preselected variant and the reason.
        var shownItem = page.Locator($"cart-cross-sell li[data-sku='{chosen.Sku}']");
        Assert.Equal(chosen.Title, await shownItem.Locator("span.t").TextContentAsync());
        Assert.Contains(chosen.Price.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture), await shownItem.Locator("span.p").TextContentAsync());
        if (chosen.VariantId != chosen.Sku) Assert.Contains(chosen.VariantId, await shownItem.Locator("span.v").TextContentAsync());
        Assert.False(string.IsNullOrWhiteSpace(await shownItem.Locator("span.r").TextContentAsync()));
        await button.ClickAsync();
        var line = page.Locator($"#cart-lines li[data-sku='{chosen.Sku}']");
        await line.WaitForAsync();
        Assert.Equal(EventSources.CrossSellWidget, await line.GetAttributeAsync("data-source"));
        Assert.Equal(chosen.AddToCart.VariantId, await line.GetAttributeAsync("data-variant"));
        var added = await EventuallyAsync(() => Read<CartEvent>(Topics.CartEvents, cart, ContractsJson.Default.CartEvent)
            .FirstOrDefault(e => e.Type == CartEventType.ItemAdded && e.Sku == chosen.Sku), "the one-click itemAdded on cart-events");
        Assert.Equal((EventSources.CrossSellWidget, chosen.AddToCart.VariantId, chosen.Price), (added.Source, added.VariantId, added.UnitPrice));

        // The list refreshes to the value answering the new cart: the added item is no longer offered.
        await EventuallyAsync(async () => !(await ShownSkusAsync(page)).Contains(chosen.Sku) ? true : (bool?)null, "the list without the added item");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(EmbeddedShopFixture.Screenshots, "shop-after-add.png"), FullPage = true });

        // By keyboard: focus stayed in the module (its heading), Tab reaches the next "Add", Enter adds it.
        var next = await ShownSkusAsync(page);
        output.WriteLine($"after the add: {string.Join(", ", next)}");
        Assert.NotEmpty(next); // the basket with the added item still has evidence: the keyboard path below must run
        Assert.Equal("h", await page.EvaluateAsync<string>("() => document.querySelector('cart-cross-sell').shadowRoot.activeElement?.id"));
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Enter");
        var second = page.Locator($"#cart-lines li[data-sku='{next[0]}']");
        await second.WaitForAsync();
        Assert.Equal(EventSources.CrossSellWidget, await second.GetAttributeAsync("data-source"));
    }

    [ChromiumFact]
    public async Task A_holdout_shopper_sees_no_module_and_it_takes_no_space()
    {
        var visitor = fixture.Visitor(Cohort.Holdout, "held");
        var page = await OpenShopAsync(visitor);

        // The widget holds the cart's value once the recommender wrote it and the widget fetched it: waited for, not assumed.
        await page.WaitForFunctionAsync("() => document.querySelector('cart-cross-sell')._value?.cohort === 'holdout'");
        Assert.Equal(0, await page.Locator("cart-cross-sell li").CountAsync());
        Assert.NotNull(await page.Locator("cart-cross-sell").GetAttributeAsync("data-empty"));
        var box = await page.EvaluateAsync<double>("() => document.querySelector('cart-cross-sell').getBoundingClientRect().height");
        Assert.Equal(0, box);
    }

    /// <summary>
    /// The widget alone on a page of the host's origin, over values written to the real Redis (a cart nobody else
    /// touches): an empty treatment list (the engine unsure) takes no space and reports nothing; a list is reported once
    /// per value version, also when the page is rendered again in the same tab, and a new version once more.
    /// </summary>
    [ChromiumFact]
    public async Task The_widget_reports_each_value_version_once_and_shows_nothing_for_an_empty_list()
    {
        var cart = "cart-widget-" + Guid.NewGuid().ToString("N")[..8];
        var store = fixture.Shop.Service.Store!;
        var page = await fixture.Browser!.NewPageAsync();
        page.SetDefaultTimeout(Timeout);
        var reported = new List<long>();
        page.Request += (_, r) =>
        {
            if (r.Method == "POST" && r.Url.EndsWith("/v1/impressions", StringComparison.Ordinal))
                lock (reported) reported.Add(JsonDocument.Parse(r.PostData!).RootElement.GetProperty("valueVersion").GetInt64());
        };
        long[] Reported() { lock (reported) return [.. reported]; }
        // A storefront's cart page holding only the widget, served at the host's origin (the widget and the API are the host's).
        var storefrontPage = $"{fixture.Base}/storefront-{cart}.html";
        await page.RouteAsync(storefrontPage, route => route.FulfillAsync(new RouteFulfillOptions
        {
            ContentType = "text/html",
            Body = $"""<!doctype html><html lang="en"><body><script src="{WidgetAssets.WidgetPath}"></script><cart-cross-sell cart-id="{cart}" endpoint="{fixture.Base}" session-id="s-{cart}"></cart-cross-sell></body></html>""",
        }));
        async Task RenderAsync(long version)
        {
            await page.GotoAsync(storefrontPage);
            await page.WaitForFunctionAsync($"() => document.querySelector('cart-cross-sell')?.getAttribute('data-version') === '{version}'");
        }

        await store.WriteAsync(Values.Treatment(cart, 10));
        await RenderAsync(10);
        Assert.Equal(0, await page.Locator("cart-cross-sell li").CountAsync());
        Assert.NotNull(await page.Locator("cart-cross-sell").GetAttributeAsync("data-empty"));
        Assert.Equal(0, await page.EvaluateAsync<double>("() => document.querySelector('cart-cross-sell').getBoundingClientRect().height"));

        await store.WriteAsync(Values.Treatment(cart, 11, "22328", "22423"));
        await page.EvaluateAsync("() => document.querySelector('cart-cross-sell').refresh()");
        await page.WaitForFunctionAsync("() => document.querySelector('cart-cross-sell').getAttribute('data-version') === '11'");
        Assert.Equal(["22328", "22423"], await ShownSkusAsync(page));
        await RenderAsync(11); // the page loaded again, the same value
        Assert.Equal(2, await page.Locator("cart-cross-sell li").CountAsync());
        await store.WriteAsync(Values.Treatment(cart, 12, "22423"));
        await page.EvaluateAsync("() => document.querySelector('cart-cross-sell').refresh()");
        await page.WaitForFunctionAsync("() => document.querySelector('cart-cross-sell').getAttribute('data-version') === '12'");

        // Requests leave in order: a second report of version 11 would come before the report of version 12.
        await EventuallyAsync(() => Reported().Length >= 2 ? Reported() : null, "two impressions");
        Assert.Equal([11L, 12L], Reported());
        var published = await EventuallyAsync(() => Read<CrossSellImpression>(Topics.CrossSellImpressions, cart, ContractsJson.Default.CrossSellImpression)
            is { Count: >= 2 } found ? found : null, "both impressions on cross-sell-impressions");
        Assert.Equal([(11L, "22328,22423"), (12L, "22423")], published.Select(i => (i.ValueVersion, string.Join(",", i.Skus))));
    }

    [ChromiumFact]
    public async Task The_dashboard_shows_the_experiment_with_its_interval_after_a_short_simulated_run()
    {
        var experiment = new EmbeddedShopOptions { OrdersPath = "" }.Experiment.ExperimentId;
        using var http = new HttpClient();
        await EventuallyAsync(async () =>
        {
            using var r = await http.GetAsync($"{fixture.Base}/experiments/{experiment}/figures.json");
            if (!r.IsSuccessStatusCode) return null;
            using var json = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
            return json.RootElement.TryGetProperty("total", out var total) && total.TryGetProperty("incrementalLower", out _)
                   && total.GetProperty("treatmentImpressions").GetInt64() > 0 ? true : (bool?)null;
        }, "aov-aggregates figures with an interval and the simulated shoppers' impressions", TimeSpan.FromSeconds(120));

        var page = await fixture.Browser!.NewPageAsync();
        await page.GotoAsync($"{fixture.Base}/experiments/{experiment}");
        var estimate = await page.Locator("#estimate").InnerTextAsync();
        Assert.Matches(@"95% CI \[-?\d+\.\d\d, -?\d+\.\d\d\]", estimate);
        Assert.Contains("BIASED", await page.Locator("#naive").InnerTextAsync());
        // The impressions the simulated cart pages reported went through the outcome topologies into the figures.
        Assert.Matches(@"\d+ clicks on [1-9]\d* add-ons shown \([1-9]\d* impressions\); per position", await page.Locator("#click-through").InnerTextAsync());
        Assert.DoesNotContain("HOLDOUT SAW", await page.Locator("#click-through").InnerTextAsync());
        Assert.Equal(2, await page.Locator("svg.chart").CountAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(EmbeddedShopFixture.Screenshots, "dashboard.png"), FullPage = true });
    }

    private List<T> Read<T>(string topic, string key, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        TopicProbe.ReadToEnd(fixture.Shop.Environment.Kafka.ToOptions(), topic, TimeSpan.FromSeconds(20))
            .Where(r => r.Message.Key == key).Select(r => JsonSerializer.Deserialize(r.Message.Value, type)!).ToList();

    private static Task<T> EventuallyAsync<T>(Func<T?> probe, string what) where T : class =>
        EventuallyAsync(() => Task.FromResult(probe()), what, TimeSpan.FromSeconds(20));

    private static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            if (await probe() is { } found) return found;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"waited for {what}");
            await Task.Delay(250);
        }
    }
}
