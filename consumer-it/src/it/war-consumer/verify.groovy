// Checks the consumer's WAR and what the staging repository holds.
// Variables from consumer-it's pom.xml: stagingRepository, vivariumVersion, reactorJars.
import java.util.zip.ZipFile

def fail = { String message -> throw new AssertionError(message) }

// the consumer wrote Vivarium's version once: in the BOM import
def pom = new File(basedir, 'pom.xml').text
int written = pom.split(java.util.regex.Pattern.quote(vivariumVersion), -1).length - 1
if (written != 1) fail("the consumer's pom.xml names the Vivarium version ${written} times, expected once (the BOM)")

def war = new File(basedir, 'target/war-consumer-1.0.war')
if (!war.isFile()) fail("no WAR at ${war}")
def lib = new ZipFile(war).withCloseable { zip ->
    zip.entries().collect { it.name }.findAll { it.startsWith('WEB-INF/lib/') && it.length() > 12 }.collect { it.substring(12) }
}
println "WEB-INF/lib: ${lib.sort()}"
def filterJar = lib.find { it ==~ /vivarium-servlet-filter-.*\.jar/ }
def coreJar = lib.find { it ==~ /vivarium-core-.*\.jar/ }
if (filterJar == null) fail("the WAR has no vivarium-servlet-filter jar: ${lib}")
if (coreJar == null) fail("the WAR has no vivarium-core jar: ${lib}")
// the same jars, in the same versions, as the servlet filter's in the reactor (a version that
// only the parent's dependencyManagement pinned would differ here)
def expected = new File(reactorJars).readLines()
        .collect { it.trim() }
        .findAll { it ==~ /[^: ]+:[^: ]+:jar:[^: ]+:[a-z]+.*/ }
        // the reactor may still list the Jetty client that core's jar carries shaded
        .findAll { !it.startsWith('org.eclipse.jetty') }
        .collect { def p = it.split(':'); "${p[1]}-${p[3]}.jar".toString() }
        .findAll { !it.startsWith('vivarium-jetty-') && !it.startsWith('vivarium-spring-boot-starter-') }
def missing = expected - lib
def extra = lib - expected
if (!missing.isEmpty() || !extra.isEmpty()) {
    fail("the WAR's jars differ from the reactor's: missing ${missing}, extra ${extra}")
}
def jetty = lib.findAll { it.startsWith('jetty-') }
if (!jetty.isEmpty()) fail("core's published POM should bring no Jetty jar (its client is shaded), found ${jetty}")

def tmp = File.createTempFile('vivarium-core', '.jar')
tmp.deleteOnExit()
new ZipFile(war).withCloseable { zip ->
    zip.getInputStream(zip.getEntry('WEB-INF/lib/' + filterJar)).withCloseable { def f = File.createTempFile('vivarium-filter', '.jar'); f.deleteOnExit(); f.bytes = it.bytes
        new ZipFile(f).withCloseable { fj ->
            if (fj.getEntry('dev/vivarium/servlet/VivariumFilter.class') == null) fail("${filterJar} has no VivariumFilter")
        }
    }
    zip.getInputStream(zip.getEntry('WEB-INF/lib/' + coreJar)).withCloseable { tmp.bytes = it.bytes }
}
new ZipFile(tmp).withCloseable { cj ->
    for (name in ['dev/vivarium/core/Vivarium.class',
                  'dev/vivarium/shaded/jetty/client/HttpClient.class',
                  'META-INF/services/dev.vivarium.shaded.jetty.compression.Compression']) {
        if (cj.getEntry(name) == null) fail("${coreJar} has no ${name}")
    }
    def unrelocated = cj.entries().collect { it.name }.find { it.startsWith('org/eclipse/jetty/') }
    if (unrelocated != null) fail("${coreJar} has an unrelocated Jetty class: ${unrelocated}")
}

// the newest deployed file of artifact a ending in ext
def latest = { String a, String ext ->
    def dir = new File(stagingRepository, "dev/vivarium/${a}/${vivariumVersion}")
    def files = (dir.listFiles() ?: []).findAll { it.name.endsWith(ext) }.sort { it.name }
    if (files.isEmpty()) fail("no ${a} *${ext} in ${dir}")
    files.last()
}
def bomPom = latest('vivarium-bom', '.pom').text

// every published artifact is in the BOM, and nothing unpublished was staged
def staged = new File(stagingRepository, 'dev/vivarium').listFiles().findAll { it.isDirectory() }*.name.sort()
println "staged: ${staged}"
for (a in staged - ['vivarium-parent', 'vivarium-bom']) {
    if (!bomPom.contains("<artifactId>${a}</artifactId>")) fail("${a} is published but not in vivarium-bom")
}
for (a in ['vivarium-bench', 'vivarium-sample-webapp', 'vivarium-compat-jetty-12.0', 'vivarium-consumer-it',
            'vivarium-spring-boot-tests', 'vivarium-spring-boot-tests-boot3-tomcat',
            'vivarium-spring-boot-tests-boot3-jetty', 'vivarium-spring-boot-tests-boot4']) {
    if (staged.contains(a)) fail("${a} is not to be published, yet it was deployed")
}
for (a in ['vivarium-parent', 'vivarium-bom', 'vivarium-core', 'vivarium-servlet-filter', 'vivarium-jetty',
           'vivarium-spring-boot-starter']) {
    if (!staged.contains(a)) fail("${a} was not deployed to the staging repository")
}

// the published POMs: metadata, and core without its shaded Jetty dependencies
for (a in ['vivarium-parent', 'vivarium-bom']) {
    def text = latest(a, '.pom').text
    for (tag in ['<name>', '<description>', '<url>', '<licenses>', '<scm>', '<developers>']) {
        if (!text.contains(tag)) fail("the published ${a} POM has no ${tag}")
    }
}
for (a in ['vivarium-core', 'vivarium-servlet-filter', 'vivarium-jetty', 'vivarium-spring-boot-starter']) {
    def text = latest(a, '.pom').text
    for (tag in ['<name>', '<description>', '<parent>']) {
        if (!text.contains(tag)) fail("the published ${a} POM has no ${tag}")
    }
    for (ext in ['-sources.jar', '-javadoc.jar']) {
        latest(a, ext) // throws if there is none
    }
}
def corePom = latest('vivarium-core', '.pom').text
def deps = corePom.substring(corePom.indexOf('<dependencies>'))
deps.split('<dependency>').drop(1).each { d ->
    if (d.contains('<groupId>org.eclipse.jetty') && !d.contains('<scope>test</scope>')) {
        fail("the published vivarium-core POM still depends on Jetty: ${d.trim()}")
    }
}
return true
