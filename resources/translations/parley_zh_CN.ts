<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
    <context>
        <name>CallView</name>
        <message>
            <location filename="../../client/ui/call.py" line="88" />
            <source>Connection status</source>
            <translation>连接状态</translation>
        </message>
        <message>
            <location filename="../../client/ui/call.py" line="98" />
            <source>Problem</source>
            <translation>问题</translation>
        </message>
        <message>
            <location filename="../../client/ui/call.py" line="99" />
            <source>Dismiss</source>
            <translation>关闭</translation>
        </message>
        <message>
            <location filename="../../client/ui/call.py" line="100" />
            <location filename="../../client/ui/call.py" line="101" />
            <source>Dismiss this message</source>
            <translation>关闭此消息</translation>
        </message>
        <message>
            <location filename="../../client/ui/call.py" line="112" />
            <source>You are sharing your screen.</source>
            <translation>你正在共享屏幕。</translation>
        </message>
        <message>
            <location filename="../../client/ui/call.py" line="265" />
            <source>Meeting {0}</source>
            <translation>会议 {0}</translation>
        </message>
        <message>
            <location filename="../../client/ui/call.py" line="330" />
            <source>{0} (you)</source>
            <translation>{0}（你）</translation>
        </message>
        <message>
            <location filename="../../client/ui/call.py" line="440" />
            <source>Choose a screen to share</source>
            <translation>选择要共享的屏幕</translation>
        </message>
        <message>
            <location filename="../../client/ui/call.py" line="444" />
            <source>Screen {0} ({1} x {2})</source>
            <translation>屏幕 {0}（{1} x {2}）</translation>
        </message>
        <message>
            <location filename="../../client/ui/call.py" line="500" />
            <source>Connection lost</source>
            <translation>连接已断开</translation>
        </message>
        <message>
            <location filename="../../client/ui/call.py" line="502" />
            <source>Connected, no audio or video</source>
            <translation>已连接，无音视频</translation>
        </message>
        <message>
            <location filename="../../client/ui/call.py" line="506" />
            <source>Connection: good</source>
            <translation>连接：良好</translation>
        </message>
        <message>
            <location filename="../../client/ui/call.py" line="507" />
            <source>Connection: fair</source>
            <translation>连接：一般</translation>
        </message>
        <message>
            <location filename="../../client/ui/call.py" line="508" />
            <source>Connection: poor</source>
            <translation>连接：较差</translation>
        </message>
        <message>
            <location filename="../../client/ui/call.py" line="509" />
            <source>Connection: measuring…</source>
            <translation>连接：正在测量…</translation>
        </message>
        <message>
            <location filename="../../client/ui/call.py" />
            <source>Connection: video paused, reconnecting…</source>
            <translation>连接：视频已暂停，正在重新连接…</translation>
        </message>
        <message>
            <location filename="../../client/ui/call.py" />
            <source>{0}: {1}, {2} fps</source>
            <translation>{0}：{1}，{2} 帧/秒</translation>
        </message>
        <message>
            <location filename="../../client/ui/call.py" />
            <source>camera</source>
            <translation>摄像头</translation>
        </message>
        <message>
            <location filename="../../client/ui/call.py" />
            <source>screen</source>
            <translation>屏幕</translation>
        </message>
    </context>
    <context>
        <name>CertificateDialog</name>
        <message>
            <location filename="../../client/ui/signin.py" line="40" />
            <source>Confirm the server's identity — Parley</source>
            <translation>确认服务器身份 — Parley</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="45" />
            <source>This is the first time you connect to {0}. Its certificate is not signed by an authority this computer trusts. Compare the fingerprint below with the one your administrator gave you; trust it only if they are the same.</source>
            <translation>这是你第一次连接到 {0}。它的证书不是由本机信任的机构签发的。请将下面的指纹与管理员提供的指纹进行比较；只有两者相同时才信任它。</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="52" />
            <source>SHA-256 fingerprint</source>
            <translation>SHA-256 指纹</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="59" />
            <source>Certificate fingerprint {0}</source>
            <translation>证书指纹 {0}</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="62" />
            <source>Trust and connect</source>
            <translation>信任并连接</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="63" />
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="64" />
            <source>Trust this certificate and connect</source>
            <translation>信任此证书并连接</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="65" />
            <source>Do not connect</source>
            <translation>不连接</translation>
        </message>
    </context>
    <context>
        <name>ChatPanel</name>
        <message>
            <location filename="../../client/ui/panels.py" line="53" />
            <source>Chat</source>
            <translation>聊天</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="58" />
            <source>Chat messages</source>
            <translation>聊天消息</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="60" />
            <source>No messages yet.</source>
            <translation>还没有消息。</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="66" />
            <source>Write a message</source>
            <translation>输入消息</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="67" />
            <source>Message</source>
            <translation>消息</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="68" />
            <source>Send</source>
            <translation>发送</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="69" />
            <source>Send the message</source>
            <translation>发送消息</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="69" />
            <source>Send the message (Enter)</source>
            <translation>发送消息（回车）</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="110" />
            <source>{0} at {1}</source>
            <translation>{0}，{1}</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="83" />
            <source>Chat is not available on this server yet.</source>
            <translation>此服务器尚不支持聊天。</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="73" />
            <source>Send the message to</source>
            <translation>消息发送给</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="96" />
            <source>Chat starts once you are in a call.</source>
            <translation>进入通话后即可聊天。</translation>
        </message>
    </context>
    <context>
        <name>ControlBar</name>
        <message>
            <location filename="../../client/ui/call_controls.py" line="58" />
            <location filename="../../client/ui/call_controls.py" line="101" />
            <source>Mute</source>
            <translation>静音</translation>
        </message>
        <message>
            <location filename="../../client/ui/call_controls.py" line="59" />
            <location filename="../../client/ui/call_controls.py" line="107" />
            <source>Stop video</source>
            <translation>关闭视频</translation>
        </message>
        <message>
            <location filename="../../client/ui/call_controls.py" line="60" />
            <location filename="../../client/ui/call_controls.py" line="111" />
            <source>Share screen</source>
            <translation>共享屏幕</translation>
        </message>
        <message>
            <location filename="../../client/ui/call_controls.py" line="61" />
            <location filename="../../client/ui/call_controls.py" line="112" />
            <source>Raise hand</source>
            <translation>举手</translation>
        </message>
        <message>
            <location filename="../../client/ui/call_controls.py" line="62" />
            <location filename="../../client/ui/call_controls.py" line="113" />
            <source>Participants</source>
            <translation>参会者</translation>
        </message>
        <message>
            <location filename="../../client/ui/call_controls.py" line="63" />
            <location filename="../../client/ui/call_controls.py" line="114" />
            <source>Chat</source>
            <translation>聊天</translation>
        </message>
        <message>
            <location filename="../../client/ui/call_controls.py" line="64" />
            <location filename="../../client/ui/call_controls.py" line="115" />
            <source>Files</source>
            <translation>文件</translation>
        </message>
        <message>
            <location filename="../../client/ui/call_controls.py" line="67" />
            <location filename="../../client/ui/call_controls.py" line="116" />
            <source>Settings</source>
            <translation>设置</translation>
        </message>
        <message>
            <location filename="../../client/ui/call_controls.py" line="68" />
            <location filename="../../client/ui/call_controls.py" line="117" />
            <source>Leave</source>
            <translation>离开</translation>
        </message>
        <message>
            <location filename="../../client/ui/call_controls.py" line="101" />
            <source>Unmute</source>
            <translation>取消静音</translation>
        </message>
        <message>
            <location filename="../../client/ui/call_controls.py" line="107" />
            <source>Start video</source>
            <translation>开启视频</translation>
        </message>
        <message>
            <location filename="../../client/ui/call_controls.py" line="111" />
            <source>Stop sharing</source>
            <translation>停止共享</translation>
        </message>
        <message>
            <location filename="../../client/ui/call_controls.py" line="112" />
            <source>Lower hand</source>
            <translation>放下手</translation>
        </message>
    </context>
    <context>
        <name>DevicePreview</name>
        <message>
            <location filename="../../client/ui/preview.py" line="91" />
            <source>Test camera</source>
            <translation>测试摄像头</translation>
        </message>
        <message>
            <location filename="../../client/ui/preview.py" line="97" />
            <source>The camera cannot be used here.</source>
            <translation>此处无法使用摄像头。</translation>
        </message>
        <message>
            <location filename="../../client/ui/preview.py" line="103" />
            <source>No camera was found. You can join without video.</source>
            <translation>未找到摄像头。你可以不带视频加入。</translation>
        </message>
        <message>
            <location filename="../../client/ui/preview.py" line="110" />
            <source>The camera stopped sending pictures. Was it unplugged?</source>
            <translation>摄像头停止发送画面。是否已被拔出？</translation>
        </message>
        <message>
            <location filename="../../client/ui/preview.py" line="141" />
            <source>No microphone was found. You can join and listen.</source>
            <translation>未找到麦克风。你可以加入并收听。</translation>
        </message>
        <message>
            <location filename="../../client/ui/preview.py" line="174" />
            <source>No speaker was found, so the test sound cannot play.</source>
            <translation>未找到扬声器，无法播放测试声音。</translation>
        </message>
    </context>
    <context>
        <name>FilesPanel</name>
        <message>
            <location filename="../../client/ui/panels.py" line="105" />
            <source>Files</source>
            <translation>文件</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="109" />
            <source>Files shared in this meeting</source>
            <translation>本次会议中共享的文件</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="113" />
            <source>No files have been shared in this meeting. File sharing is not available on this server yet.</source>
            <translation>本次会议中还没有共享文件。此服务器尚不支持文件共享。</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="121" />
            <source>{0} from {1} ({2} KB)</source>
            <translation>{0}，来自 {1}（{2} KB）</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="307" />
            <source>Send the file to</source>
            <translation>文件发送给</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="309" />
            <source>Send a file…</source>
            <translation>发送文件…</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="310" />
            <location filename="../../client/ui/panels.py" line="341" />
            <source>Send a file</source>
            <translation>发送文件</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="310" />
            <source>Choose a file to send, encrypted end to end</source>
            <translation>选择要发送的文件（端到端加密）</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="332" />
            <source>No files have been shared yet. Files are encrypted end to end.</source>
            <translation>还没有共享任何文件。文件采用端到端加密。</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="334" />
            <source>Files can be sent once you are in a call.</source>
            <translation>进入通话后即可发送文件。</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="337" />
            <source>Your encryption key: {0}</source>
            <translation>你的加密密钥：{0}</translation>
        </message>
    </context>
    <context>
        <name>HomeView</name>
        <message>
            <location filename="../../client/ui/home.py" line="101" />
            <location filename="../../client/ui/home.py" line="102" />
            <source>Settings</source>
            <translation>设置</translation>
        </message>
        <message>
            <location filename="../../client/ui/home.py" line="102" />
            <source>Devices, folders and language (Ctrl+,)</source>
            <translation>设备、文件夹和语言（Ctrl+,）</translation>
        </message>
        <message>
            <location filename="../../client/ui/home.py" line="104" />
            <location filename="../../client/ui/home.py" line="105" />
            <source>Sign out</source>
            <translation>退出登录</translation>
        </message>
        <message>
            <location filename="../../client/ui/home.py" line="105" />
            <source>Sign out and forget this sign-in</source>
            <translation>退出并忘记此次登录</translation>
        </message>
        <message>
            <location filename="../../client/ui/home.py" line="127" />
            <source>Join a meeting</source>
            <translation>加入会议</translation>
        </message>
        <message>
            <location filename="../../client/ui/home.py" line="131" />
            <source>Meeting link</source>
            <translation>会议链接</translation>
        </message>
        <message>
            <location filename="../../client/ui/home.py" line="131" />
            <source>Paste the meeting link you were sent</source>
            <translation>粘贴你收到的会议链接</translation>
        </message>
        <message>
            <location filename="../../client/ui/home.py" line="133" />
            <source>Join</source>
            <translation>加入</translation>
        </message>
        <message>
            <location filename="../../client/ui/home.py" line="135" />
            <source>Join the meeting</source>
            <translation>加入会议</translation>
        </message>
        <message>
            <location filename="../../client/ui/home.py" line="135" />
            <source>Join the meeting at this link (Enter)</source>
            <translation>加入此链接的会议（回车）</translation>
        </message>
        <message>
            <location filename="../../client/ui/home.py" line="142" />
            <source>Meet now</source>
            <translation>立即开会</translation>
        </message>
        <message>
            <location filename="../../client/ui/home.py" line="143" />
            <source>Start a meeting and share its link with the people you want to talk to.</source>
            <translation>发起会议，并把链接分享给你想交谈的人。</translation>
        </message>
        <message>
            <location filename="../../client/ui/home.py" line="147" />
            <location filename="../../client/ui/home.py" line="148" />
            <source>Start an instant meeting</source>
            <translation>发起即时会议</translation>
        </message>
        <message>
            <location filename="../../client/ui/home.py" line="153" />
            <location filename="../../client/ui/home.py" line="155" />
            <source>Upcoming meetings</source>
            <translation>即将举行的会议</translation>
        </message>
        <message>
            <location filename="../../client/ui/home.py" line="156" />
            <source>No upcoming meetings. Meetings booked for you will appear here.</source>
            <translation>没有即将举行的会议。为你预订的会议会显示在这里。</translation>
        </message>
        <message>
            <location filename="../../client/ui/home.py" line="162" />
            <location filename="../../client/ui/home.py" line="164" />
            <source>Announcements</source>
            <translation>公告</translation>
        </message>
        <message>
            <location filename="../../client/ui/home.py" line="165" />
            <source>No announcements. Planned maintenance of your server will be announced here.</source>
            <translation>没有公告。服务器的计划维护会在这里通知。</translation>
        </message>
        <message>
            <location filename="../../client/ui/home.py" line="175" />
            <source>Hello, {0}</source>
            <translation>你好，{0}</translation>
        </message>
        <message>
            <location filename="../../client/ui/home.py" line="176" />
            <source>Signed in to {0} as {1}</source>
            <translation>已以 {1} 身份登录 {0}</translation>
        </message>
        <message>
            <location filename="../../client/ui/home.py" line="217" />
            <source>Paste a meeting link first.</source>
            <translation>请先粘贴会议链接。</translation>
        </message>
        <message>
            <location filename="../../client/ui/home.py" line="224" />
            <source>{0}'s meeting</source>
            <translation>{0} 的会议</translation>
        </message>
    </context>
    <context>
        <name>MainWindow</name>
        <message>
            <location filename="../../client/ui/main_window.py" line="61" />
            <source>Sign in — Parley</source>
            <translation>登录 — Parley</translation>
        </message>
        <message>
            <location filename="../../client/ui/main_window.py" line="62" />
            <source>Parley</source>
            <translation>Parley</translation>
        </message>
        <message>
            <location filename="../../client/ui/main_window.py" line="63" />
            <source>Ready to join? — Parley</source>
            <translation>准备加入？— Parley</translation>
        </message>
        <message>
            <location filename="../../client/ui/main_window.py" line="64" />
            <source>{0} — Parley</source>
            <translation>{0} — Parley</translation>
        </message>
        <message>
            <location filename="../../client/ui/main_window.py" line="64" />
            <source>Meeting</source>
            <translation>会议</translation>
        </message>
        <message>
            <location filename="../../client/ui/main_window.py" line="112" />
            <source>The new language is used from the next start of Parley.</source>
            <translation>新语言将在下次启动 Parley 时生效。</translation>
        </message>
        <message>
            <location filename="../../client/ui/main_window.py" line="134" />
            <source>Leave this meeting before you join another one.</source>
            <translation>请先离开本次会议，再加入其他会议。</translation>
        </message>
        <message>
            <location filename="../../client/ui/main_window.py" line="123" />
            <source>Parley now uses the language you chose.</source>
            <translation>Parley 现在使用你选择的语言。</translation>
        </message>
    </context>
    <context>
        <name>MediaService</name>
        <message>
            <location filename="../../client/ui/media.py" line="98" />
            <source>Audio and video are not available in this version of Parley.</source>
            <translation>此版本的 Parley 不支持音视频。</translation>
        </message>
        <message>
            <location filename="../../client/ui/media.py" line="101" />
            <location filename="../../client/ui/media.py" line="113" />
            <source>Audio and video could not start: {0}</source>
            <translation>音视频无法启动：{0}</translation>
        </message>
        <message>
            <location filename="../../client/ui/media.py" line="148" />
            <source>Screen sharing needs audio and video, which are not running.</source>
            <translation>屏幕共享需要音视频，但音视频未在运行。</translation>
        </message>
        <message>
            <location filename="../../client/ui/media.py" line="153" />
            <source>Screen sharing could not start: {0}</source>
            <translation>屏幕共享无法启动：{0}</translation>
        </message>
    </context>
    <context>
        <name>ParticipantListModel</name>
        <message>
            <location filename="../../client/ui/models.py" line="74" />
            <source>{0} (you)</source>
            <translation>{0}（你）</translation>
        </message>
        <message>
            <location filename="../../client/ui/models.py" line="77" />
            <source>host</source>
            <translation>主持人</translation>
        </message>
        <message>
            <location filename="../../client/ui/models.py" line="79" />
            <source>muted</source>
            <translation>已静音</translation>
        </message>
        <message>
            <location filename="../../client/ui/models.py" line="81" />
            <source>camera off</source>
            <translation>摄像头已关闭</translation>
        </message>
        <message>
            <location filename="../../client/ui/models.py" line="83" />
            <source>hand raised</source>
            <translation>已举手</translation>
        </message>
        <message>
            <location filename="../../client/ui/models.py" line="85" />
            <source>speaking</source>
            <translation>正在发言</translation>
        </message>
        <message>
            <location filename="../../client/ui/models.py" line="87" />
            <source>reconnecting</source>
            <translation>正在重新连接</translation>
        </message>
        <message>
            <source>co-host</source>
            <translation>联席主持人</translation>
        </message>
    </context>
    <context>
        <name>ParticipantsPanel</name>
        <message>
            <location filename="../../client/ui/panels.py" line="32" />
            <source>Participants</source>
            <translation>参会者</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="41" />
            <source>Participants ({0})</source>
            <translation>参会者（{0}）</translation>
        </message>
    </context>
    <context>
        <name>PeoplePicker</name>
        <message>
            <location filename="../../client/ui/people.py" line="33" />
            <source>Find a colleague</source>
            <translation>查找同事</translation>
        </message>
        <message>
            <location filename="../../client/ui/people.py" line="34" />
            <source>Find a colleague by name</source>
            <translation>按姓名查找同事</translation>
        </message>
        <message>
            <location filename="../../client/ui/people.py" line="36" />
            <source>Colleagues found</source>
            <translation>找到的同事</translation>
        </message>
        <message>
            <location filename="../../client/ui/people.py" line="65" />
            <source>Type at least {0} characters of a name.</source>
            <translation>请至少输入姓名中的 {0} 个字符。</translation>
        </message>
        <message>
            <location filename="../../client/ui/people.py" line="81" />
            <source>Nobody found for “{0}”.</source>
            <translation>没有找到“{0}”。</translation>
        </message>
        <message>
            <location filename="../../client/ui/people.py" line="64" />
            <source>{0} is invited.</source>
            <translation>已邀请 {0}。</translation>
        </message>
    </context>
    <context>
        <name>PreJoinView</name>
        <message>
            <location filename="../../client/ui/prejoin.py" line="69" />
            <source>Check your camera and microphone before you join.</source>
            <translation>加入前请检查摄像头和麦克风。</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="78" />
            <source>You</source>
            <translation>你</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="80" />
            <source>Camera preview</source>
            <translation>摄像头预览</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="83" />
            <location filename="../../client/ui/prejoin.py" line="87" />
            <source>Microphone level</source>
            <translation>麦克风音量</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="87" />
            <source>Speak: the bar moves when Parley hears you</source>
            <translation>请说话：Parley 听到你时进度条会跳动</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="98" />
            <source>Camera</source>
            <translation>摄像头</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="100" />
            <source>Microphone</source>
            <translation>麦克风</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="102" />
            <source>Speaker</source>
            <translation>扬声器</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="103" />
            <source>&amp;Camera</source>
            <translation>摄像头(&amp;C)</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="104" />
            <source>&amp;Microphone</source>
            <translation>麦克风(&amp;M)</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="105" />
            <source>S&amp;peaker</source>
            <translation>扬声器(&amp;P)</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="107" />
            <location filename="../../client/ui/prejoin.py" line="108" />
            <source>Play test sound</source>
            <translation>播放测试声音</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="108" />
            <source>Play a short chime on the speaker</source>
            <translation>在扬声器上播放一段提示音</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="111" />
            <location filename="../../client/ui/prejoin.py" line="112" />
            <source>Join with my microphone muted</source>
            <translation>加入时麦克风静音</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="113" />
            <location filename="../../client/ui/prejoin.py" line="114" />
            <source>Join with my camera off</source>
            <translation>加入时关闭摄像头</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="124" />
            <source>Back</source>
            <translation>返回</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="125" />
            <source>Back to the home screen</source>
            <translation>返回主页</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="125" />
            <source>Back to the home screen (Esc)</source>
            <translation>返回主页（Esc）</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="127" />
            <location filename="../../client/ui/prejoin.py" line="129" />
            <source>Join now</source>
            <translation>立即加入</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="129" />
            <source>Join the meeting (Enter)</source>
            <translation>加入会议（回车）</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="147" />
            <source>Meeting {0}</source>
            <translation>会议 {0}</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="157" />
            <source>Test camera (synthetic)</source>
            <translation>测试摄像头（合成）</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="158" />
            <source>No camera</source>
            <translation>无摄像头</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="164" />
            <source>Test microphone (synthetic)</source>
            <translation>测试麦克风（合成）</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="165" />
            <source>No microphone</source>
            <translation>无麦克风</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="168" />
            <source>No speaker</source>
            <translation>无扬声器</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="172" />
            <source>No camera was found; the test camera is used instead.</source>
            <translation>未找到摄像头，改用测试摄像头。</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="174" />
            <source>No microphone was found; a test tone is used instead.</source>
            <translation>未找到麦克风，改用测试音。</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="177" />
            <source>No speaker was found.</source>
            <translation>未找到扬声器。</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="82" />
            <source>Meeting link</source>
            <translation>会议链接</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="83" />
            <location filename="../../client/ui/prejoin.py" line="84" />
            <source>Copy link</source>
            <translation>复制链接</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="84" />
            <source>Copy the meeting's link to the clipboard</source>
            <translation>将会议链接复制到剪贴板</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="85" />
            <location filename="../../client/ui/prejoin.py" line="86" />
            <source>Meeting info</source>
            <translation>会议信息</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="86" />
            <source>Title, host, link and invitation</source>
            <translation>标题、主持人、链接和邀请</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="168" />
            <source>Ready to join?</source>
            <translation>准备好加入了吗？</translation>
        </message>
    </context>
    <context>
        <name>QObject</name>
        <message>
            <location filename="../../client/ui/media.py" line="63" />
            <source>There is no display to share on this computer.</source>
            <translation>这台计算机上没有可共享的显示器。</translation>
        </message>
    </context>
    <context>
        <name>SessionService</name>
        <message>
            <location filename="../../client/ui/services.py" line="254" />
            <source>The connection to the server was lost. Reconnecting (attempt {0} of {1})…</source>
            <translation>与服务器的连接已断开。正在重新连接（第 {0} 次，共 {1} 次）…</translation>
        </message>
        <message>
            <location filename="../../client/ui/services.py" line="271" />
            <source>You were signed out while the connection was down. Sign in again.</source>
            <translation>连接中断期间你已被退出登录。请重新登录。</translation>
        </message>
        <message>
            <location filename="../../client/ui/services.py" line="273" />
            <source>Sign in again to continue.</source>
            <translation>请重新登录以继续。</translation>
        </message>
        <message>
            <location filename="../../client/ui/services.py" line="286" />
            <source>Parley could not reconnect to the server: {0}</source>
            <translation>Parley 无法重新连接到服务器：{0}</translation>
        </message>
        <message>
            <location filename="../../client/ui/services.py" line="286" />
            <source>no answer</source>
            <translation>无应答</translation>
        </message>
        <message>
            <location filename="../../client/ui/services.py" line="289" />
            <source>The connection to the server was lost.</source>
            <translation>与服务器的连接已断开。</translation>
        </message>
        <message>
            <location filename="../../client/ui/services.py" line="205" />
            <source>The connection to the server was lost. Reconnecting (attempt {0})…</source>
            <translation>与服务器的连接已断开。正在重新连接（第 {0} 次尝试）…</translation>
        </message>
    </context>
    <context>
        <name>SettingsDialog</name>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="36" />
            <source>Settings — Parley</source>
            <translation>设置 — Parley</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="40" />
            <source>Settings sections</source>
            <translation>设置分类</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="52" />
            <source>Test camera (synthetic)</source>
            <translation>测试摄像头（合成）</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="53" />
            <source>No camera</source>
            <translation>无摄像头</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="59" />
            <source>Test microphone (synthetic)</source>
            <translation>测试麦克风（合成）</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="60" />
            <source>No microphone</source>
            <translation>无麦克风</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="64" />
            <source>System default</source>
            <translation>系统默认</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="64" />
            <source>No speaker</source>
            <translation>无扬声器</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="68" />
            <source>Automatic (adapts to the network)</source>
            <translation>自动（根据网络调整）</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="69" />
            <source>Low (360p)</source>
            <translation>低（360p）</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="70" />
            <source>HD (720p)</source>
            <translation>高清（720p）</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="71" />
            <source>Full HD (1080p)</source>
            <translation>全高清（1080p）</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="76" />
            <source>&amp;Camera</source>
            <translation>摄像头(&amp;C)</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="76" />
            <source>Camera</source>
            <translation>摄像头</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="77" />
            <source>&amp;Microphone</source>
            <translation>麦克风(&amp;M)</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="77" />
            <source>Microphone</source>
            <translation>麦克风</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="78" />
            <source>S&amp;peaker</source>
            <translation>扬声器(&amp;P)</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="78" />
            <source>Speaker</source>
            <translation>扬声器</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="79" />
            <source>&amp;Video quality</source>
            <translation>视频质量(&amp;V)</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="79" />
            <source>Video quality</source>
            <translation>视频质量</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="80" />
            <source>Audio and video</source>
            <translation>音频和视频</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="87" />
            <source>&amp;Recordings</source>
            <translation>录制(&amp;R)</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="87" />
            <source>Recordings folder</source>
            <translation>录制文件夹</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="90" />
            <source>&amp;Downloads</source>
            <translation>下载(&amp;D)</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="90" />
            <source>Downloads folder</source>
            <translation>下载文件夹</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="92" />
            <source>Folders</source>
            <translation>文件夹</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="100" />
            <source>&amp;Language</source>
            <translation>语言(&amp;L)</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="100" />
            <source>Language</source>
            <translation>语言</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="102" />
            <source>&amp;Server</source>
            <translation>服务器(&amp;S)</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="102" />
            <source>Server address</source>
            <translation>服务器地址</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="103" />
            <source>Fields with a dashed border are set by your administrator and cannot be changed.</source>
            <translation>虚线边框的字段由管理员设置，无法更改。</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="107" />
            <source>General</source>
            <translation>常规</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="110" />
            <source>Save</source>
            <translation>保存</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="111" />
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="126" />
            <source>{0}: set by your administrator.</source>
            <translation>{0}：由管理员设置。</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="134" />
            <source>Browse…</source>
            <translation>浏览…</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="135" />
            <source>Choose the {0}</source>
            <translation>选择{0}</translation>
        </message>
        <message>
            <location filename="../../client/ui/settings_dialog.py" line="142" />
            <source>Choose a folder</source>
            <translation>选择文件夹</translation>
        </message>
    </context>
    <context>
        <name>SignInView</name>
        <message>
            <location filename="../../client/ui/signin.py" line="101" />
            <source>Parley logo</source>
            <translation>Parley 标志</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="103" />
            <source>Sign in to Parley</source>
            <translation>登录 Parley</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="111" />
            <source>meet.example.com:8443</source>
            <translation>meet.example.com:8443</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="112" />
            <source>Server address</source>
            <translation>服务器地址</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="112" />
            <source>The address of your company's Parley server</source>
            <translation>贵公司 Parley 服务器的地址</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="117" />
            <source>Set by your administrator.</source>
            <translation>由管理员设置。</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="119" />
            <source>User name</source>
            <translation>用户名</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="122" />
            <source>Password</source>
            <translation>密码</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="123" />
            <source>Keep me signed in on this computer</source>
            <translation>在这台计算机上保持登录</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="127" />
            <source>Keep me signed in</source>
            <translation>保持登录</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="128" />
            <source>Remember the sign-in in this computer's keyring; your password is never stored.</source>
            <translation>在本机密钥环中记住登录状态；绝不保存你的密码。</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="130" />
            <source>&amp;Server</source>
            <translation>服务器(&amp;S)</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="131" />
            <source>&amp;User name</source>
            <translation>用户名(&amp;U)</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="132" />
            <source>&amp;Password</source>
            <translation>密码(&amp;P)</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="139" />
            <source>Sign-in problem</source>
            <translation>登录问题</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="146" />
            <location filename="../../client/ui/signin.py" line="149" />
            <source>Sign in</source>
            <translation>登录</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="149" />
            <source>Sign in (Enter)</source>
            <translation>登录（回车）</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="186" />
            <source>Enter the address of your Parley server.</source>
            <translation>请输入 Parley 服务器的地址。</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="189" />
            <source>Enter your user name and password.</source>
            <translation>请输入用户名和密码。</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="195" />
            <location filename="../../client/ui/signin.py" line="241" />
            <source>Signing in to {0}…</source>
            <translation>正在登录 {0}…</translation>
        </message>
        <message>
            <location filename="../../client/ui/signin.py" line="229" />
            <source>Not connected: the server's certificate was not trusted.</source>
            <translation>未连接：服务器证书未被信任。</translation>
        </message>
    </context>
    <context>
        <name>VideoTile</name>
        <message>
            <location filename="../../client/ui/video_grid.py" line="79" />
            <location filename="../../client/ui/video_grid.py" line="150" />
            <source>{0}'s screen</source>
            <translation>{0} 的屏幕</translation>
        </message>
        <message>
            <location filename="../../client/ui/video_grid.py" line="81" />
            <source>muted</source>
            <translation>已静音</translation>
        </message>
        <message>
            <location filename="../../client/ui/video_grid.py" line="83" />
            <source>hand raised</source>
            <translation>已举手</translation>
        </message>
        <message>
            <location filename="../../client/ui/video_grid.py" line="85" />
            <source>speaking</source>
            <translation>正在发言</translation>
        </message>
        <message>
            <location filename="../../client/ui/video_grid.py" line="87" />
            <source>reconnecting</source>
            <translation>正在重新连接</translation>
        </message>
        <message>
            <location filename="../../client/ui/video_grid.py" />
            <source>Video paused — reconnecting…</source>
            <translation>视频已暂停 — 正在重新连接…</translation>
        </message>
    </context>
    <context>
        <name>errors</name>
        <message>
            <location filename="../../client/engine/media/audio_processing.py" />
            <source>Your microphone is too loud and the sound is distorted: turn its input level down in the system settings.</source>
            <translation>您的麦克风音量过大，声音已失真：请在系统设置中调低其输入音量。</translation>
        </message>
        <message>
            <location filename="../../client/engine/media/audio_processing.py" />
            <source>Echo cancellation and noise suppression are not available in this installation; your microphone is sent as it is.</source>
            <translation>此安装不支持回声消除和降噪；您的麦克风声音将按原样发送。</translation>
        </message>
        <message>
            <location filename="../../client/ui/error_text.py" />
            <source>Wrong user name or password.</source>
            <translation>用户名或密码错误。</translation>
        </message>
        <message>
            <location filename="../../client/ui/error_text.py" />
            <source>This version of Parley cannot talk to the server: {0}</source>
            <translation>此版本的 Parley 无法与服务器通信：{0}</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>The disk is full, so {0} could not be saved. Free some space and try again.</source>
            <translation>磁盘已满，无法保存 {0}。请释放一些空间后重试。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>Parley is not allowed to use {0}. Check its permissions, or choose another folder.</source>
            <translation>Parley 没有权限使用 {0}。请检查其权限，或选择其他文件夹。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>{0} does not exist (any more).</source>
            <translation>{0} 不存在（或已被删除）。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>{0} could not be read or written.</source>
            <translation>无法读取或写入 {0}。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>The server {0} refused the connection: Parley is not running there, or the port is wrong. Check the address, or ask your administrator whether the server is up.</source>
            <translation>服务器 {0} 拒绝了连接：该地址上没有运行 Parley，或端口不正确。请检查地址，或询问管理员服务器是否已启动。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>The server name {0} could not be found. Check the address and your network connection.</source>
            <translation>找不到服务器名称 {0}。请检查地址和网络连接。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>Your network cannot reach the server {0}. Check your network connection.</source>
            <translation>您的网络无法访问服务器 {0}。请检查网络连接。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>The server {0} did not answer in time. Check your network connection, or try again later.</source>
            <translation>服务器 {0} 未及时响应。请检查网络连接，或稍后重试。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>{0} answered, but not as a Parley server. Check the address and port.</source>
            <translation>{0} 有响应，但它不是 Parley 服务器。请检查地址和端口。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>The server {0} has too many connections right now. Try again in a minute.</source>
            <translation>服务器 {0} 当前连接过多。请一分钟后再试。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>The server has too many connections right now. Try again in a minute.</source>
            <translation>服务器当前连接过多。请一分钟后再试。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>A secure connection to {0} could not be set up. Ask your administrator to check its certificate.</source>
            <translation>无法与 {0} 建立安全连接。请让管理员检查其证书。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>The server {0} presented a certificate that is not signed by a trusted authority. Its SHA-256 fingerprint is {1}. Trust it only if your administrator gave you the same fingerprint.</source>
            <translation>服务器 {0} 出示的证书未经受信任的机构签名。其 SHA-256 指纹为 {1}。仅当管理员提供给您的指纹与此相同时才信任它。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>The certificate of {0} does not match the one you trusted. It has the fingerprint {1}, not {2}. Someone may be intercepting the connection.</source>
            <translation>{0} 的证书与您信任的证书不一致。其指纹为 {1}，而不是 {2}。可能有人正在拦截此连接。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>The server refused the connection: Parley is not running there, or the port is wrong.</source>
            <translation>服务器拒绝了连接：该地址上没有运行 Parley，或端口不正确。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>Your network cannot reach the server. Check your network connection.</source>
            <translation>您的网络无法访问服务器。请检查网络连接。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>A secure connection to the server could not be set up. Ask your administrator to check its certificate.</source>
            <translation>无法与服务器建立安全连接。请让管理员检查其证书。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>The connection to the server was lost: it stopped answering.</source>
            <translation>与服务器的连接已断开：服务器停止了响应。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>The connection to the server was lost.</source>
            <translation>与服务器的连接已断开。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>Not connected to the server.</source>
            <translation>未连接到服务器。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>The server did not answer in time.</source>
            <translation>服务器未及时响应。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>The server {0} stopped answering and could not be reached again: it may have stopped. Rejoin when it is back, or tell your administrator.</source>
            <translation>服务器 {0} 停止了响应，且无法再次连接：它可能已经停止运行。请在它恢复后重新加入，或告知管理员。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>Parley could not reach the server {0} again: your network does not reach it. Check your connection and rejoin.</source>
            <translation>Parley 无法再次连接服务器 {0}：您的网络无法访问它。请检查网络连接后重新加入。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>The server did not answer in time. Try again.</source>
            <translation>服务器未及时响应。请重试。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>Audio and video from the others stopped arriving and could not be reconnected yet. Parley keeps trying.</source>
            <translation>其他人的音频和视频已中断，暂时未能重新连接。Parley 会继续尝试。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>Your audio and video stopped reaching the others and could not be reconnected yet. Parley keeps trying.</source>
            <translation>你的音频和视频已无法传给其他人，暂时未能重新连接。Parley 会继续尝试。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>Your camera stopped working. The call goes on without your video.</source>
            <translation>您的摄像头停止工作。通话将在没有您视频的情况下继续。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>Your microphone stopped working. The call goes on; others cannot hear you.</source>
            <translation>您的麦克风停止工作。通话继续，但其他人听不到您的声音。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>Screen sharing stopped. The call goes on.</source>
            <translation>屏幕共享已停止。通话继续。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>There is not enough free disk space to record ({0} free in {1}; at least {2} is needed).</source>
            <translation>磁盘可用空间不足，无法录制（{1} 中可用 {0}；至少需要 {2}）。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>Recording stopped: the disk is full. The recording so far is saved in {0}.</source>
            <translation>录制已停止：磁盘已满。已录制的内容保存在 {0}。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>Recording stopped: the file could not be written. The recording so far is saved in {0}.</source>
            <translation>录制已停止：无法写入文件。已录制的内容保存在 {0}。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>Something went wrong. Try again; if it keeps happening, tell your administrator.</source>
            <translation>出现问题。请重试；如果问题持续存在，请告知管理员。</translation>
        </message>
        <message>
            <location filename="../../client/engine/explain.py" />
            <source>This computer refused an operation. Try again; if it keeps happening, tell your administrator.</source>
            <translation>此计算机拒绝了一项操作。请重试；如果问题持续存在，请告知管理员。</translation>
        </message>
        <message>
            <location filename="../../client/ui/error_text.py" />
            <source>Details</source>
            <translation>详细信息</translation>
        </message>
        <message>
            <location filename="../../client/ui/error_text.py" />
            <source>Hide details</source>
            <translation>隐藏详细信息</translation>
        </message>
        <message>
            <location filename="../../relay/stage.py" />
            <source>Too many reactions at once. Wait a moment.</source>
            <translation>表情回应发送过于频繁。请稍等片刻。</translation>
        </message>
        <message>
            <location filename="../../relay/stage.py" />
            <source>Only the host or a co-host can spotlight someone for everyone.</source>
            <translation>只有主持人或联合主持人才能为所有人聚焦某人。</translation>
        </message>
    </context>
    <context>
        <name>SoundSettings</name>
        <message>
            <location filename="../../client/ui/sound_settings.py" />
            <source>Sound</source>
            <translation>声音</translation>
        </message>
        <message>
            <location filename="../../client/ui/sound_settings.py" />
            <source>Off</source>
            <translation>关闭</translation>
        </message>
        <message>
            <location filename="../../client/ui/sound_settings.py" />
            <source>Standard</source>
            <translation>标准</translation>
        </message>
        <message>
            <location filename="../../client/ui/sound_settings.py" />
            <source>High (noisy places)</source>
            <translation>高（嘈杂环境）</translation>
        </message>
        <message>
            <location filename="../../client/ui/sound_settings.py" />
            <source>Cancel the echo of my speakers</source>
            <translation>消除扬声器的回声</translation>
        </message>
        <message>
            <location filename="../../client/ui/sound_settings.py" />
            <source>Adjust my microphone volume automatically</source>
            <translation>自动调节麦克风音量</translation>
        </message>
        <message>
            <location filename="../../client/ui/sound_settings.py" />
            <source>Original sound (for music: no processing at all)</source>
            <translation>原声（用于音乐：不做任何处理）</translation>
        </message>
        <message>
            <location filename="../../client/ui/sound_settings.py" />
            <source>&amp;Noise suppression</source>
            <translation>降噪(&amp;N)</translation>
        </message>
        <message>
            <location filename="../../client/ui/sound_settings.py" />
            <source>Noise suppression</source>
            <translation>降噪</translation>
        </message>
        <message>
            <location filename="../../client/ui/sound_settings.py" />
            <source>Echo cancellation</source>
            <translation>回声消除</translation>
        </message>
        <message>
            <location filename="../../client/ui/sound_settings.py" />
            <source>Automatic gain</source>
            <translation>自动增益</translation>
        </message>
        <message>
            <location filename="../../client/ui/sound_settings.py" />
            <source>Original sound</source>
            <translation>原声</translation>
        </message>
        <message>
            <location filename="../../client/ui/sound_settings.py" />
            <source>Use original sound with headphones: nothing then removes the echo of your speakers.</source>
            <translation>使用原声时请戴耳机：此时不会消除扬声器的回声。</translation>
        </message>
    </context>
    <context>
        <name>MutedSpeechNotice</name>
        <message>
            <location filename="../../client/ui/muted_notice.py" />
            <source>You are muted. Unmute (Ctrl+D) to speak.</source>
            <translation>您已静音。取消静音 (Ctrl+D) 后再发言。</translation>
        </message>
        <message>
            <location filename="../../client/ui/muted_notice.py" />
            <source>You are muted</source>
            <translation>您已静音</translation>
        </message>
    </context>
    <context>
        <name>InCall</name>
        <message>
            <source>Locked</source>
            <translation>已锁定</translation>
        </message>
        <message>
            <source>The meeting is locked: nobody new can join.</source>
            <translation>会议已锁定：新的人无法加入。</translation>
        </message>
        <message>
            <source>{0} waiting in the lobby</source>
            <translation>{0} 人在等候室等待</translation>
        </message>
        <message>
            <source>{0} unread messages</source>
            <translation>{0} 条未读消息</translation>
        </message>
        <message>
            <source>{0} new files</source>
            <translation>{0} 个新文件</translation>
        </message>
        <message>
            <source>Leave or end the meeting</source>
            <translation>离开或结束会议</translation>
        </message>
        <message>
            <source>Leave meeting</source>
            <translation>离开会议</translation>
        </message>
        <message>
            <source>End meeting for everyone</source>
            <translation>为所有人结束会议</translation>
        </message>
        <message>
            <source>{0} joined.</source>
            <translation>{0} 加入了。</translation>
        </message>
        <message>
            <source>{0} left.</source>
            <translation>{0} 离开了。</translation>
        </message>
        <message>
            <source>Time in this meeting: {0}</source>
            <translation>本次会议时长：{0}</translation>
        </message>
        <message>
            <source>{0} people in the meeting</source>
            <translation>会议中有 {0} 人</translation>
        </message>
    </context>
    <context>
        <name>KnockToast</name>
        <message>
            <source>Waiting in the lobby</source>
            <translation>在等候室等待</translation>
        </message>
        <message>
            <source>Admit</source>
            <translation>准入</translation>
        </message>
        <message>
            <source>Deny</source>
            <translation>拒绝</translation>
        </message>
        <message>
            <source>See all</source>
            <translation>查看全部</translation>
        </message>
        <message>
            <source>Dismiss</source>
            <translation>关闭</translation>
        </message>
        <message>
            <source>{0} is waiting in the lobby.</source>
            <translation>{0} 正在等候室等待。</translation>
        </message>
        <message>
            <source>{0} and {1} more are waiting in the lobby.</source>
            <translation>{0} 和另外 {1} 人正在等候室等待。</translation>
        </message>
        <message>
            <source>Admit {0}</source>
            <translation>准入 {0}</translation>
        </message>
        <message>
            <source>Deny {0}</source>
            <translation>拒绝 {0}</translation>
        </message>
    </context>
    <context>
        <name>NoticeLine</name>
        <message>
            <source>Notice</source>
            <translation>通知</translation>
        </message>
    </context>
    <context>
        <name>HostControls</name>
        <message>
            <source>Locked</source>
            <translation>已锁定</translation>
        </message>
        <message>
            <source>Locked: nobody new can join. Click to unlock.</source>
            <translation>已锁定：新的人无法加入。点击解锁。</translation>
        </message>
        <message>
            <source>Lock the meeting: nobody new can join.</source>
            <translation>锁定会议：新的人将无法加入。</translation>
        </message>
        <message>
            <source>Lobby on</source>
            <translation>等候室已开启</translation>
        </message>
        <message>
            <source>Lobby on: people wait until admitted. Click to let everyone in.</source>
            <translation>等候室已开启：大家需等待准入。点击让所有人进入。</translation>
        </message>
        <message>
            <source>Turn the lobby on: people wait until a host admits them.</source>
            <translation>开启等候室：大家需等待主持人准入。</translation>
        </message>
        <message>
            <location filename="../../client/ui/host_controls.py" line="115" />
            <location filename="../../client/ui/host_controls.py" line="117" />
            <location filename="../../client/ui/host_controls.py" line="236" />
            <source>Raise hand</source>
            <translation>举手</translation>
        </message>
        <message>
            <location filename="../../client/ui/host_controls.py" line="136" />
            <source>Mute all</source>
            <translation>全部静音</translation>
        </message>
        <message>
            <location filename="../../client/ui/host_controls.py" line="137" />
            <source>Let people unmute</source>
            <translation>允许他人取消静音</translation>
        </message>
        <message>
            <location filename="../../client/ui/host_controls.py" line="139" />
            <source>Allow unmuting</source>
            <translation>允许取消静音</translation>
        </message>
        <message>
            <location filename="../../client/ui/host_controls.py" line="140" />
            <source>Lock</source>
            <translation>锁定</translation>
        </message>
        <message>
            <location filename="../../client/ui/host_controls.py" line="142" />
            <source>Lobby</source>
            <translation>等候室</translation>
        </message>
        <message>
            <location filename="../../client/ui/host_controls.py" line="144" />
            <source>End meeting</source>
            <translation>结束会议</translation>
        </message>
        <message>
            <location filename="../../client/ui/host_controls.py" line="197" />
            <source>Hands raised: {0}</source>
            <translation>举手人数：{0}</translation>
        </message>
        <message>
            <location filename="../../client/ui/host_controls.py" line="201" />
            <source>{0} asks you to unmute.</source>
            <translation>{0} 请你取消静音。</translation>
        </message>
        <message>
            <location filename="../../client/ui/host_controls.py" line="203" />
            <source>{0} asks you to start your video.</source>
            <translation>{0} 请你开启视频。</translation>
        </message>
        <message>
            <location filename="../../client/ui/host_controls.py" line="217" />
            <source>Choose someone in the list first.</source>
            <translation>请先在列表中选择一个人。</translation>
        </message>
        <message>
            <location filename="../../client/ui/host_controls.py" line="222" />
            <source>Rename</source>
            <translation>重命名</translation>
        </message>
        <message>
            <location filename="../../client/ui/host_controls.py" line="222" />
            <source>New name:</source>
            <translation>新名称：</translation>
        </message>
        <message>
            <location filename="../../client/ui/host_controls.py" line="236" />
            <source>Lower hand</source>
            <translation>放下手</translation>
        </message>
    </context>
    <context>
        <name>ShareGuard</name>
        <message>
            <source>Someone</source>
            <translation>某人</translation>
        </message>
        <message>
            <source>Share screen</source>
            <translation>共享屏幕</translation>
        </message>
        <message>
            <source>{0} is already sharing. Take over? Their share stops.</source>
            <translation>{0} 正在共享。要接替吗？对方的共享将停止。</translation>
        </message>
        <message>
            <source>Take over</source>
            <translation>接替</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
    </context>
    <context>
        <name>BarOverflow</name>
        <message>
            <location filename="../../client/ui/overflow.py" line="48" />
            <source>More</source>
            <translation>更多</translation>
        </message>
        <message>
            <location filename="../../client/ui/overflow.py" line="49" />
            <location filename="../../client/ui/overflow.py" line="50" />
            <source>More controls</source>
            <translation>更多控制</translation>
        </message>
    </context>
    <context>
        <name>BookingDialog</name>
        <message>
            <location filename="../../client/ui/booking.py" line="148" />
            <source>Change the booking</source>
            <translation>更改预订</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="148" />
            <source>Book a meeting</source>
            <translation>预订会议</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="152" />
            <location filename="../../client/ui/booking.py" line="178" />
            <source>Room</source>
            <translation>会议室</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="154" />
            <location filename="../../client/ui/booking.py" line="179" />
            <source>Title</source>
            <translation>标题</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="155" />
            <source>What is the meeting about?</source>
            <translation>会议的主题是什么？</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="158" />
            <location filename="../../client/ui/booking.py" line="182" />
            <source>Time zone</source>
            <translation>时区</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="166" />
            <location filename="../../client/ui/booking.py" line="180" />
            <source>Start</source>
            <translation>开始</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="166" />
            <location filename="../../client/ui/booking.py" line="181" />
            <source>End</source>
            <translation>结束</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="171" />
            <source>Invitees</source>
            <translation>受邀者</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="172" />
            <source>user names, separated by commas</source>
            <translation>用户名，以逗号分隔</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="176" />
            <source>Occurrences</source>
            <translation>次数</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="177" />
            <source> time(s), weekly</source>
            <translation> 次，每周</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="183" />
            <source>Invite</source>
            <translation>邀请</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="186" />
            <source>Repeat</source>
            <translation>重复</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="193" />
            <source>Save</source>
            <translation>保存</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="193" />
            <source>Book</source>
            <translation>预订</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="207" />
            <source>{0} (up to {1})</source>
            <translation>{0}（最多 {1} 人）</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="211" />
            <source>There are no rooms to book yet. Ask your administrator to add some.</source>
            <translation>还没有可预订的会议室。请联系管理员添加。</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="223" />
            <source>{0} is not a time zone.</source>
            <translation>{0} 不是有效的时区。</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="241" />
            <source>Give the meeting a title.</source>
            <translation>请为会议输入标题。</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="254" />
            <source>Booked</source>
            <translation>已预订</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="178" />
            <source>Does not repeat</source>
            <translation>不重复</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="179" />
            <source> meetings, one a week</source>
            <translation> 次会议，每周一次</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="237" />
            <source>The meeting must end after it starts.</source>
            <translation>会议的结束时间必须晚于开始时间。</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="209" />
            <source>No room (just the meeting)</source>
            <translation>不用会议室（仅会议）</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="187" />
            <source>Remove</source>
            <translation>移除</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="188" />
            <source>Remove the chosen person from the invitees (Delete)</source>
            <translation>从受邀者中移除所选人员（Delete 键）</translation>
        </message>
    </context>
    <context>
        <name>ChatFilesController</name>
        <message>
            <location filename="../../client/ui/chat_files.py" line="85" />
            <source>Files cannot be sent in this call.</source>
            <translation>此通话中无法发送文件。</translation>
        </message>
        <message>
            <location filename="../../client/ui/chat_files.py" line="133" />
            <source>You</source>
            <translation>你</translation>
        </message>
        <message>
            <location filename="../../client/ui/chat_files.py" line="136" />
            <source>You to {0} (privately)</source>
            <translation>你对 {0}（私聊）</translation>
        </message>
        <message>
            <location filename="../../client/ui/chat_files.py" line="138" />
            <source>{0} (privately)</source>
            <translation>{0}（私聊）</translation>
        </message>
        <message>
            <location filename="../../client/ui/chat_files.py" line="146" />
            <source>Files can be sent once the call's connection is up.</source>
            <translation>通话连接建立后即可发送文件。</translation>
        </message>
    </context>
    <context>
        <name>CountdownBanner</name>
        <message>
            <location filename="../../client/ui/host_controls.py" line="248" />
            <source>Time left in this meeting</source>
            <translation>会议剩余时间</translation>
        </message>
        <message>
            <location filename="../../client/ui/host_controls.py" line="266" />
            <source>This meeting ends in {0}:{1:02d} (the server's meeting length limit).</source>
            <translation>本会议将在 {0}:{1:02d} 后结束（服务器的会议时长限制）。</translation>
        </message>
    </context>
    <context>
        <name>LobbyQueue</name>
        <message>
            <location filename="../../client/ui/host_controls.py" line="46" />
            <source>Waiting in the lobby</source>
            <translation>在等候室中等待</translation>
        </message>
        <message>
            <location filename="../../client/ui/host_controls.py" line="48" />
            <source>Admit</source>
            <translation>准入</translation>
        </message>
        <message>
            <location filename="../../client/ui/host_controls.py" line="49" />
            <source>Deny</source>
            <translation>拒绝</translation>
        </message>
        <message>
            <location filename="../../client/ui/host_controls.py" line="50" />
            <source>Admit all</source>
            <translation>全部准入</translation>
        </message>
        <message>
            <location filename="../../client/ui/host_controls.py" line="68" />
            <source> (removed earlier)</source>
            <translation>（之前被移出）</translation>
        </message>
        <message>
            <location filename="../../client/ui/host_controls.py" line="74" />
            <source>Waiting ({0})</source>
            <translation>等待中（{0}）</translation>
        </message>
    </context>
    <context>
        <name>MaintenanceBanner</name>
        <message>
            <location filename="../../client/ui/host_controls.py" line="283" />
            <source>Maintenance</source>
            <translation>维护</translation>
        </message>
        <message>
            <location filename="../../client/ui/host_controls.py" line="293" />
            <source>Maintenance {0} to {1}: {2}</source>
            <translation>维护时间 {0} 至 {1}：{2}</translation>
        </message>
    </context>
    <context>
        <name>MeetingInfo</name>
        <message>
            <location filename="../../client/ui/meeting_info.py" line="60" />
            <source>You are invited to a Parley meeting: {0}</source>
            <translation>邀请你参加 Parley 会议：{0}</translation>
        </message>
        <message>
            <location filename="../../client/ui/meeting_info.py" line="65" />
            <source>When: {0}</source>
            <translation>时间：{0}</translation>
        </message>
        <message>
            <location filename="../../client/ui/meeting_info.py" line="67" />
            <source>Host: {0}</source>
            <translation>主持人：{0}</translation>
        </message>
        <message>
            <location filename="../../client/ui/meeting_info.py" line="69" />
            <source>Join: {0}</source>
            <translation>加入：{0}</translation>
        </message>
        <message>
            <location filename="../../client/ui/meeting_info.py" line="71" />
            <source>Or open in the Parley app: {0}</source>
            <translation>或在 Parley 应用中打开：{0}</translation>
        </message>
        <message>
            <location filename="../../client/ui/meeting_info.py" line="157" />
            <source>Meeting info</source>
            <translation>会议信息</translation>
        </message>
        <message>
            <location filename="../../client/ui/meeting_info.py" line="160" />
            <source>Title, host, link and invitation</source>
            <translation>标题、主持人、链接和邀请</translation>
        </message>
    </context>
    <context>
        <name>MeetingInfoDialog</name>
        <message>
            <location filename="../../client/ui/meeting_info.py" line="87" />
            <location filename="../../client/ui/meeting_info.py" line="88" />
            <source>Meeting info</source>
            <translation>会议信息</translation>
        </message>
        <message>
            <location filename="../../client/ui/meeting_info.py" line="93" />
            <source>Title</source>
            <translation>标题</translation>
        </message>
        <message>
            <location filename="../../client/ui/meeting_info.py" line="94" />
            <source>Host</source>
            <translation>主持人</translation>
        </message>
        <message>
            <location filename="../../client/ui/meeting_info.py" line="95" />
            <source>When</source>
            <translation>时间</translation>
        </message>
        <message>
            <location filename="../../client/ui/meeting_info.py" line="96" />
            <source>Link</source>
            <translation>链接</translation>
        </message>
        <message>
            <location filename="../../client/ui/meeting_info.py" line="97" />
            <source>App link</source>
            <translation>应用链接</translation>
        </message>
        <message>
            <location filename="../../client/ui/meeting_info.py" line="110" />
            <source>Copy link</source>
            <translation>复制链接</translation>
        </message>
        <message>
            <location filename="../../client/ui/meeting_info.py" line="111" />
            <source>Copy the https link to the clipboard</source>
            <translation>将 https 链接复制到剪贴板</translation>
        </message>
        <message>
            <location filename="../../client/ui/meeting_info.py" line="113" />
            <source>Copy invitation</source>
            <translation>复制邀请</translation>
        </message>
        <message>
            <location filename="../../client/ui/meeting_info.py" line="114" />
            <source>Copy a short invitation with both links</source>
            <translation>复制包含两个链接的简短邀请</translation>
        </message>
        <message>
            <location filename="../../client/ui/meeting_info.py" line="129" />
            <source>Link copied.</source>
            <translation>链接已复制。</translation>
        </message>
        <message>
            <location filename="../../client/ui/meeting_info.py" line="133" />
            <source>Invitation copied.</source>
            <translation>邀请已复制。</translation>
        </message>
    </context>
    <context>
        <name>MeetingsService</name>
        <message>
            <location filename="../../client/ui/booking.py" line="92" />
            <source>Planned maintenance from {0} to {1}: {2}</source>
            <translation>计划维护时间 {0} 至 {1}：{2}</translation>
        </message>
    </context>
    <context>
        <name>OfferDialog</name>
        <message>
            <location filename="../../client/ui/panels.py" line="263" />
            <source>File offered</source>
            <translation>收到文件</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="265" />
            <source>{0} offers you {1} ({2}).</source>
            <translation>{0} 向你发送 {1}（{2}）。</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="270" />
            <source>{0}'s encryption key: {1}. It protects the file from the server only if it matches the one {0} sees as their own; compare it by phone or in person if the file is sensitive.</source>
            <translation>{0} 的加密密钥：{1}。只有当它与 {0} 看到的自己的密钥一致时，才能防止服务器读取文件；如果文件敏感，请通过电话或当面核对。</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="272" />
            <source>unknown</source>
            <translation>未知</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="278" />
            <source>Accept</source>
            <translation>接受</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="279" />
            <source>Decline</source>
            <translation>拒绝</translation>
        </message>
    </context>
    <context>
        <name>RecipientBox</name>
        <message>
            <location filename="../../client/ui/panels.py" line="138" />
            <location filename="../../client/ui/panels.py" line="153" />
            <source>Everyone</source>
            <translation>所有人</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="155" />
            <source>{0} (privately)</source>
            <translation>{0}（私聊）</translation>
        </message>
    </context>
    <context>
        <name>RecordingControls</name>
        <message>
            <location filename="../../client/ui/recording.py" line="55" />
            <source>Recording indicator</source>
            <translation>录制指示</translation>
        </message>
        <message>
            <location filename="../../client/ui/recording.py" line="59" />
            <source>Recording notice</source>
            <translation>录制通知</translation>
        </message>
        <message>
            <location filename="../../client/ui/recording.py" line="61" />
            <source>Co-hosts may record</source>
            <translation>联合主持人可录制</translation>
        </message>
        <message>
            <location filename="../../client/ui/recording.py" line="63" />
            <source>Let co-hosts start and stop recording this meeting</source>
            <translation>允许联合主持人开始和停止录制本会议</translation>
        </message>
        <message>
            <location filename="../../client/ui/recording.py" line="100" />
            <source>The recording was saved to {0}.</source>
            <translation>录制已保存到 {0}。</translation>
        </message>
        <message>
            <location filename="../../client/ui/recording.py" line="140" />
            <source>Recording needs the call's audio and video, which are not running.</source>
            <translation>录制需要通话的音频和视频，但它们未在运行。</translation>
        </message>
        <message>
            <location filename="../../client/ui/recording.py" line="171" />
            <source>Stop recording</source>
            <translation>停止录制</translation>
        </message>
        <message>
            <location filename="../../client/ui/recording.py" line="171" />
            <source>Record</source>
            <translation>录制</translation>
        </message>
        <message>
            <location filename="../../client/ui/recording.py" line="173" />
            <source>Stop recording this meeting</source>
            <translation>停止录制本会议</translation>
        </message>
        <message>
            <location filename="../../client/ui/recording.py" line="173" />
            <source>Record this meeting on this computer</source>
            <translation>在本机上录制本会议</translation>
        </message>
        <message>
            <location filename="../../client/ui/recording.py" line="180" />
            <source>you</source>
            <translation>你</translation>
        </message>
        <message>
            <location filename="../../client/ui/recording.py" line="181" />
            <source>● REC  Recorded by {0}</source>
            <translation>● 录制中  录制者：{0}</translation>
        </message>
        <message>
            <location filename="../../client/ui/recording.py" line="183" />
            <source>This meeting is being recorded.</source>
            <translation>本会议正在录制。</translation>
        </message>
    </context>
    <context>
        <name>TransferRow</name>
        <message>
            <location filename="../../client/ui/panels.py" line="201" />
            <source>Accept</source>
            <translation>接受</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="202" />
            <source>Decline</source>
            <translation>拒绝</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="203" />
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="204" />
            <source>Open folder</source>
            <translation>打开文件夹</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="222" />
            <source>{0} from {1}</source>
            <translation>{0}，来自 {1}</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="222" />
            <source>{0} to {1}</source>
            <translation>{0}，发给 {1}</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="225" />
            <source>Accept {0}</source>
            <translation>接受 {0}</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="226" />
            <source>Decline {0}</source>
            <translation>拒绝 {0}</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="227" />
            <source>Cancel the transfer of {0}</source>
            <translation>取消 {0} 的传输</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="228" />
            <source>Open the folder of {0}</source>
            <translation>打开 {0} 所在的文件夹</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="229" />
            <source>Progress of {0}</source>
            <translation>{0} 的进度</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="231" />
            <source>{0} of {1}</source>
            <translation>{0} / {1}</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="233" />
            <source>{0}/s</source>
            <translation>{0}/秒</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="235" />
            <source>{0} left</source>
            <translation>剩余 {0}</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="240" />
            <source>Waiting for your answer.</source>
            <translation>等待你的答复。</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="240" />
            <source>Waiting for an answer.</source>
            <translation>等待对方答复。</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="243" />
            <source>Done.</source>
            <translation>完成。</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="244" />
            <source>Declined.</source>
            <translation>已拒绝。</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="245" />
            <source>Cancelled.</source>
            <translation>已取消。</translation>
        </message>
        <message>
            <location filename="../../client/ui/panels.py" line="246" />
            <source>Failed.</source>
            <translation>失败。</translation>
        </message>
    </context>
    <context>
        <name>UpcomingActions</name>
        <message>
            <location filename="../../client/ui/booking.py" line="276" />
            <source>Book a meeting…</source>
            <translation>预订会议…</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="277" />
            <source>Edit…</source>
            <translation>编辑…</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="278" />
            <source>Cancel booking</source>
            <translation>取消预订</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="279" />
            <source>Copy invitation</source>
            <translation>复制邀请</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="280" />
            <source>Save .ics…</source>
            <translation>保存 .ics…</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="323" />
            <source>Booked: {0}</source>
            <translation>已预订：{0}</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="341" />
            <source>Cancelled: {0}</source>
            <translation>已取消：{0}</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="356" />
            <source>Invitation copied.</source>
            <translation>邀请已复制。</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="364" />
            <source>Save calendar file</source>
            <translation>保存日历文件</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="370" />
            <source>Could not save the file: {0}</source>
            <translation>无法保存文件：{0}</translation>
        </message>
        <message>
            <location filename="../../client/ui/booking.py" line="372" />
            <source>Saved {0}</source>
            <translation>已保存 {0}</translation>
        </message>
    </context>
    <context>
        <name>Devices</name>
        <message>
            <location filename="../../client/ui/prejoin.py" line="59" />
            <source>System default</source>
            <translation>系统默认</translation>
        </message>
        <message>
            <location filename="../../client/ui/prejoin.py" line="62" />
            <source>No speaker</source>
            <translation>无扬声器</translation>
        </message>
    </context>
    <context>
        <name>Invitees</name>
        <message>
            <location filename="../../client/ui/people.py" line="31" />
            <source>Invited people</source>
            <translation>受邀人员</translation>
        </message>
    </context>
    <context>
        <name>Views</name>
        <message>
            <location filename="../../client/ui/views.py" />
            <source>View</source>
            <translation>视图</translation>
        </message>
        <message>
            <location filename="../../client/ui/views.py" />
            <source>Gallery view</source>
            <translation>图库视图</translation>
        </message>
        <message>
            <location filename="../../client/ui/views.py" />
            <source>Speaker view</source>
            <translation>演讲者视图</translation>
        </message>
        <message>
            <location filename="../../client/ui/views.py" />
            <source>Hide self view</source>
            <translation>隐藏自己的画面</translation>
        </message>
        <message>
            <location filename="../../client/ui/views.py" />
            <source>Hide people without video</source>
            <translation>隐藏未开视频的人</translation>
        </message>
        <message>
            <location filename="../../client/ui/views.py" />
            <source>Full screen</source>
            <translation>全屏</translation>
        </message>
        <message>
            <location filename="../../client/ui/views.py" />
            <source>Gallery or speaker view, full screen ({0})</source>
            <translation>图库或演讲者视图，全屏（{0}）</translation>
        </message>
        <message>
            <location filename="../../client/ui/views.py" />
            <source>Actions for this person</source>
            <translation>对此人的操作</translation>
        </message>
        <message>
            <location filename="../../client/ui/views.py" />
            <source>Unpin</source>
            <translation>取消固定</translation>
        </message>
        <message>
            <location filename="../../client/ui/views.py" />
            <source>Pin for me</source>
            <translation>为我固定</translation>
        </message>
        <message>
            <location filename="../../client/ui/views.py" />
            <source>Remove spotlight</source>
            <translation>取消聚焦</translation>
        </message>
        <message>
            <location filename="../../client/ui/views.py" />
            <source>Spotlight for everyone</source>
            <translation>为所有人聚焦</translation>
        </message>
        <message>
            <location filename="../../client/ui/views.py" />
            <source>Mute</source>
            <translation>静音</translation>
        </message>
        <message>
            <location filename="../../client/ui/views.py" />
            <source>Make co-host</source>
            <translation>设为联合主持人</translation>
        </message>
        <message>
            <location filename="../../client/ui/views.py" />
            <source>Remove</source>
            <translation>移出会议</translation>
        </message>
    </context>
    <context>
        <name>Reactions</name>
        <message>
            <location filename="../../client/ui/reactions.py" />
            <source>Thumbs up</source>
            <translation>点赞</translation>
        </message>
        <message>
            <location filename="../../client/ui/reactions.py" />
            <source>Clap</source>
            <translation>鼓掌</translation>
        </message>
        <message>
            <location filename="../../client/ui/reactions.py" />
            <source>Laugh</source>
            <translation>大笑</translation>
        </message>
        <message>
            <location filename="../../client/ui/reactions.py" />
            <source>Heart</source>
            <translation>爱心</translation>
        </message>
        <message>
            <location filename="../../client/ui/reactions.py" />
            <source>Surprised</source>
            <translation>惊讶</translation>
        </message>
        <message>
            <location filename="../../client/ui/reactions.py" />
            <source>Celebrate</source>
            <translation>庆祝</translation>
        </message>
        <message>
            <location filename="../../client/ui/reactions.py" />
            <source>React</source>
            <translation>表情回应</translation>
        </message>
        <message>
            <location filename="../../client/ui/reactions.py" />
            <source>Send a reaction everyone sees on your picture</source>
            <translation>发送一个所有人都能在你的画面上看到的表情</translation>
        </message>
        <message>
            <location filename="../../client/ui/reactions.py" />
            <source>Reactions</source>
            <translation>表情回应</translation>
        </message>
    </context>
    <context>
        <name>MiniWindow</name>
        <message>
            <location filename="../../client/ui/mini_window.py" />
            <source>Sharing — Parley</source>
            <translation>正在共享 — Parley</translation>
        </message>
        <message>
            <location filename="../../client/ui/mini_window.py" />
            <source>You are sharing your screen.</source>
            <translation>你正在共享屏幕。</translation>
        </message>
        <message>
            <location filename="../../client/ui/mini_window.py" />
            <source>Stop sharing</source>
            <translation>停止共享</translation>
        </message>
        <message>
            <location filename="../../client/ui/mini_window.py" />
            <source>Leave</source>
            <translation>离开</translation>
        </message>
        <message>
            <location filename="../../client/ui/mini_window.py" />
            <source>Unmute</source>
            <translation>取消静音</translation>
        </message>
        <message>
            <location filename="../../client/ui/mini_window.py" />
            <source>Mute</source>
            <translation>静音</translation>
        </message>
        <message>
            <location filename="../../client/ui/mini_window.py" />
            <source>Nobody else is here yet</source>
            <translation>还没有其他人加入</translation>
        </message>
    </context>
</TS>
