// Runs the consumer's Boot jar and asks it for a guest's answer and its health.
// Variables from consumer-it's pom.xml: vivariumVersion.
import java.util.zip.ZipFile

def fail = { String message -> throw new AssertionError(message) }

def pom = new File(basedir, 'pom.xml').text
int written = pom.split(java.util.regex.Pattern.quote(vivariumVersion), -1).length - 1
if (written != 1) fail("the consumer's pom.xml names the Vivarium version ${written} times, expected once (the BOM)")

def jar = new File(basedir, 'target/boot-consumer-1.0.jar')
if (!jar.isFile()) fail("no Boot jar at ${jar}")
def lib = new ZipFile(jar).withCloseable { zip ->
    zip.entries().collect { it.name }.findAll { it.startsWith('BOOT-INF/lib/') && it.length() > 13 }.collect { it.substring(13) }
}
println "BOOT-INF/lib: ${lib.sort()}"
for (a in ['vivarium-spring-boot-starter', 'vivarium-servlet-filter', 'vivarium-core']) {
    if (lib.find { it ==~ /${a}-${java.util.regex.Pattern.quote(vivariumVersion)}.*\.jar/ } == null) fail("the Boot jar has no ${a} ${vivariumVersion}: ${lib}")
}
def jetty = lib.findAll { it.startsWith('jetty-') }
if (!jetty.isEmpty()) fail("a Boot app on Tomcat should get no Jetty jar from Vivarium, found ${jetty}")

int port = new ServerSocket(0, 1, InetAddress.getByName('127.0.0.1')).withCloseable { it.localPort }
def log = new File(basedir, 'target/app.log')
def java = new File(System.getProperty('java.home'), 'bin/java').path
def process = new ProcessBuilder(java, '-jar', jar.path,
        "--server.port=${port}".toString(), '--server.address=127.0.0.1')
        .directory(basedir).redirectErrorStream(true).redirectOutput(log).start()
try {
    def get = { String path ->
        def c = (HttpURLConnection) new URL("http://127.0.0.1:${port}${path}").openConnection()
        c.connectTimeout = 2000
        c.readTimeout = 30000
        int status = c.responseCode
        [status, (status < 400 ? c.inputStream : c.errorStream)?.text]
    }
    // wait for the app to listen (up to 3 minutes on a busy machine), or for it to die
    def hello = null
    for (int i = 0; i < 360 && hello == null; i++) {
        if (!process.isAlive()) fail("the Boot app exited with ${process.exitValue()}:\n${log.text}")
        try { hello = get('/hello') } catch (IOException e) { Thread.sleep(500) }
    }
    if (hello == null) fail("the Boot app did not answer on port ${port}:\n${log.text}")
    if (hello[0] != 200 || hello[1] != 'Hello, world!') fail("GET /hello answered ${hello}\n${log.text}")
    def health = get('/actuator/health')
    println "health: ${health}"
    // the vivarium component's status: the first one after its name (its details have none)
    int at = health[1].indexOf('"vivarium":{')
    def status = at < 0 ? null : (health[1].substring(at) =~ /"status":"([A-Z_]+)"/).with { it.find() ? it.group(1) : null }
    if (health[0] != 200 || status != 'UP') fail("GET /actuator/health: no vivarium component UP in ${health}")
} finally {
    process.destroy()
    process.waitFor()
}
return true
